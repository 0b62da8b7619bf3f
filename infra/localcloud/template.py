"""Read a SAM template the way the local cloud needs it: resources with their local physical
names, intrinsic functions resolved, Globals merged into functions, events grouped by kind.

Nothing here knows about Houqin: it works on any template using the supported subset
(Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::If is not supported and says so).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT = "123456789012"
PARTITION = "aws"


class TemplateError(ValueError):
    """The template uses something the local cloud cannot run; the message says what and where."""


# ---------------------------------------------------------------- YAML with CloudFormation tags
class _CfnLoader(yaml.SafeLoader):
    pass


def _cfn_tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


# ---------------------------------------------------------------- what the local cloud runs
@dataclass(frozen=True)
class Event:
    name: str
    type: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class Layer:
    logical_id: str
    content_uri: Path
    build_method: str | None  # Metadata.BuildMethod: "python3.12" = sam build pip-installs its requirements.txt


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str
    arn: str
    code_uri: Path
    handler: str
    runtime: str
    timeout: int
    memory: int
    environment: dict[str, str]
    events: tuple[Event, ...]
    max_retries: int  # async invoke retries (EventInvokeConfig.MaximumRetryAttempts, default 2)
    on_failure: dict[str, str] | None  # {"Type": SQS|SNS|Lambda|EventBridge, "Destination": arn}
    dead_letter: dict[str, str] | None  # SAM DeadLetterQueue {"Type", "TargetArn"}
    layers: tuple[Layer, ...] = ()
    architecture: str = "x86_64"  # Architectures[0]: the platform its layers are built for in AWS

    def events_of(self, *types: str) -> list[Event]:
        return [e for e in self.events if e.type in types]


@dataclass(frozen=True)
class Route:
    function: str  # logical id
    path: str
    method: str  # upper case, or ANY
    authorizer: str | None  # logical id of the user pool, None when public
    api: str


@dataclass
class Template:
    path: Path
    doc: dict[str, Any]
    stack: str = "houqin"
    region: str = "us-east-1"
    endpoint: str | None = "http://127.0.0.1:4566"  # None: AWS's own URLs (in-process moto in tests)
    parameters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path, **kwargs: Any) -> Template:
        path = Path(path).resolve()
        doc = load_yaml(path)
        if not isinstance(doc, dict) or "Resources" not in doc:
            raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
        template = cls(path=path, doc=doc, **kwargs)
        declared = doc.get("Parameters") or {}
        unknown = set(template.parameters) - set(declared)
        if unknown:
            raise TemplateError(f"unknown template parameter(s): {', '.join(sorted(unknown))}")
        for name, spec in declared.items():
            if name not in template.parameters:
                if "Default" not in spec:
                    raise TemplateError(f"parameter {name} has no Default: pass a value")
                template.parameters[name] = str(spec["Default"])
        return template

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.doc["Resources"]

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") in types}

    def props(self, logical_id: str) -> dict[str, Any]:
        return self.resources[logical_id].get("Properties") or {}

    # ------------------------------------------------------------ physical names and attributes
    def physical_name(self, logical_id: str) -> str:
        """The name the resource gets locally: its explicit name property, else stack-LogicalId."""
        resource = self._resource(logical_id)
        kind = resource["Type"]
        explicit = {
            "AWS::DynamoDB::Table": "TableName", "AWS::SQS::Queue": "QueueName",
            "AWS::S3::Bucket": "BucketName", "AWS::SNS::Topic": "TopicName",
            "AWS::Serverless::Function": "FunctionName", "AWS::Lambda::Function": "FunctionName",
        }.get(kind)
        props = resource.get("Properties") or {}
        if explicit and props.get(explicit):
            return str(self.resolve(props[explicit]))
        name = f"{self.stack}-{logical_id}"
        return name.lower() if kind == "AWS::S3::Bucket" else name

    def ref(self, logical_id: str) -> str:
        if logical_id in self.parameters:
            return self.parameters[logical_id]
        pseudo = {
            "AWS::Region": self.region, "AWS::AccountId": ACCOUNT, "AWS::StackName": self.stack,
            "AWS::Partition": PARTITION, "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:stack/{self.stack}/local",
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        kind = self._resource(logical_id)["Type"]
        name = self.physical_name(logical_id)
        if kind == "AWS::SQS::Queue":
            base = self.endpoint or f"https://sqs.{self.region}.amazonaws.com"
            return f"{base}/{ACCOUNT}/{name}"
        if kind in ("AWS::SNS::Topic", "AWS::Serverless::LayerVersion", "AWS::IAM::Role"):
            return self.get_att(logical_id, "Arn")
        if kind == "AWS::Cognito::UserPool":
            return f"{self.region}_{_short_hash(self.stack + logical_id, 9)}"
        if kind == "AWS::Cognito::UserPoolClient":
            return _short_hash(self.stack + logical_id, 26)
        if kind in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            return _short_hash(self.stack + logical_id, 10)
        return name

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self._resource(logical_id)["Type"]
        name = self.physical_name(logical_id)
        arns = {
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{self.region}:{ACCOUNT}:table/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{self.region}:{ACCOUNT}:{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{self.region}:{ACCOUNT}:{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{name}",
            "AWS::Serverless::LayerVersion": f"arn:aws:lambda:{self.region}:{ACCOUNT}:layer:{name}:1",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        }
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        if attribute == "Arn" and kind == "AWS::Cognito::UserPool":
            return f"arn:aws:cognito-idp:{self.region}:{ACCOUNT}:userpool/{self.ref(logical_id)}"
        if (kind, attribute) in (("AWS::SQS::Queue", "QueueName"), ("AWS::SNS::Topic", "TopicName")):
            return name
        if kind == "AWS::SQS::Queue" and attribute == "QueueUrl":
            return self.ref(logical_id)
        if kind == "AWS::Cognito::UserPool" and attribute == "ProviderURL":
            return self.issuer(logical_id)
        raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute} ({kind}) is not supported locally")

    def issuer(self, user_pool: str) -> str:
        """The ``iss`` claim of tokens from a user pool, as Cognito writes it."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.ref(user_pool)}"

    def _resource(self, logical_id: str) -> dict[str, Any]:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise TemplateError(f"reference to unknown resource or parameter {logical_id!r}") from None

    # ------------------------------------------------------------ intrinsic functions
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (name, arg), = value.items()
            if name == "Ref":
                return self.ref(arg)
            if name == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attribute)
            if name == "Fn::Sub":
                return self._sub(arg)
            if name == "Fn::Join":
                separator, items = arg
                return separator.join(str(i) for i in self.resolve(items))
            if name == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if name.startswith("Fn::"):
                raise TemplateError(f"{name} is not supported by the local cloud")
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def substitute(match: re.Match[str]) -> str:
            token = match.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in variables:
                return str(variables[token])
            if "." in token and not token.startswith("AWS::"):
                logical, attribute = token.split(".", 1)
                return self.get_att(logical, attribute)
            return self.ref(token)

        return re.sub(r"\$\{([^}]+)\}", substitute, text)

    # ------------------------------------------------------------ functions and their events
    def functions(self) -> list[Function]:
        return [self.function(logical) for logical in self.of_type("AWS::Serverless::Function")]

    def function(self, logical_id: str) -> Function:
        props = _merge_globals(((self.doc.get("Globals") or {}).get("Function") or {}), self.props(logical_id))
        layers = tuple(self._layer(logical_id, ref) for ref in props.pop("Layers", None) or [])
        props = self.resolve(props)
        if props.get("PackageType", "Zip") != "Zip" or "CodeUri" not in props or "Handler" not in props:
            raise TemplateError(f"{logical_id}: only Zip functions with CodeUri and Handler run locally")
        invoke_config = props.get("EventInvokeConfig") or {}
        on_failure = ((invoke_config.get("DestinationConfig") or {}).get("OnFailure")) or None
        if on_failure and "Destination" not in on_failure:
            raise TemplateError(f"{logical_id}: OnFailure destination needs Destination (an ARN)")
        events = tuple(
            Event(name, spec["Type"], spec.get("Properties") or {})
            for name, spec in (props.get("Events") or {}).items()
        )
        variables = (props.get("Environment") or {}).get("Variables") or {}
        return Function(
            logical_id=logical_id,
            name=self.physical_name(logical_id),
            arn=self.get_att(logical_id, "Arn"),
            code_uri=(self.base_dir / props["CodeUri"]).resolve(),
            handler=props["Handler"],
            runtime=props.get("Runtime", ""),
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            environment={k: str(v) for k, v in variables.items()},
            events=events,
            max_retries=int(invoke_config.get("MaximumRetryAttempts", 2)),
            on_failure=on_failure,
            dead_letter=props.get("DeadLetterQueue"),
            layers=layers,
            architecture=(props.get("Architectures") or ["x86_64"])[0],
        )

    def _layer(self, function: str, ref: Any) -> Layer:
        """A layer the function lists: one of this template's LayerVersions (the local cloud builds it)."""
        logical = ref.get("Ref") if isinstance(ref, dict) else None
        if not logical or self.resources.get(logical, {}).get("Type") != "AWS::Serverless::LayerVersion":
            raise TemplateError(f"{function}: layer {ref!r} is not a !Ref to an AWS::Serverless::LayerVersion "
                                "of this template; the local cloud runs only layers it can build")
        props = self.props(logical)
        if not isinstance(props.get("ContentUri"), str):
            raise TemplateError(f"{logical}: only a local ContentUri (a folder) is supported")
        return Layer(logical, (self.base_dir / props["ContentUri"]).resolve(),
                     (self.resources[logical].get("Metadata") or {}).get("BuildMethod"))

    def routes(self) -> list[Route]:
        """Every ``Api`` event: path, method and the user pool that guards it (None = public)."""
        routes = []
        for function in self.of_type("AWS::Serverless::Function"):
            for name, spec in (self.props(function).get("Events") or {}).items():
                if spec.get("Type") == "HttpApi":
                    raise TemplateError(f"{function}.{name}: HttpApi events are not supported, use Api (REST)")
                if spec.get("Type") != "Api":
                    continue
                p = spec["Properties"]
                api = (p.get("RestApiId") or {}).get("Ref", "ServerlessRestApi")
                if "{proxy+}" in p["Path"] or re.search(r"\{\w+\+\}", p["Path"]):
                    raise TemplateError(f"{function}.{name}: greedy path {p['Path']} is not allowed")
                routes.append(Route(function, p["Path"], p["Method"].upper(),
                                    self._route_authorizer(api, p.get("Auth") or {}), api))
        return routes

    def _route_authorizer(self, api: str, auth: Mapping[str, Any]) -> str | None:
        api_auth = self._api_props(api).get("Auth") or {}
        chosen = auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
        if chosen in (None, "NONE"):
            return None
        spec = (api_auth.get("Authorizers") or {}).get(chosen)
        if not spec or "UserPoolArn" not in spec:
            raise TemplateError(f"authorizer {chosen} of {api}: only Cognito user pool authorizers run locally")
        arn = spec["UserPoolArn"]
        if isinstance(arn, dict) and "Fn::GetAtt" in arn:
            target = arn["Fn::GetAtt"]
            return target[0] if isinstance(target, list) else target.split(".")[0]
        raise TemplateError(f"authorizer {chosen}: UserPoolArn must be !GetAtt <UserPool>.Arn")

    def user_pool_clients(self, user_pool: str) -> list[str]:
        """Client ids (token audiences) of the app clients of a user pool."""
        return [
            self.ref(logical) for logical, res in self.of_type("AWS::Cognito::UserPoolClient").items()
            if (res.get("Properties") or {}).get("UserPoolId") == {"Ref": user_pool}
        ]

    def cors(self, api: str) -> dict[str, str]:
        cors = self.resolve(self._api_props(api).get("Cors") or {})
        if isinstance(cors, str):
            cors = {"AllowOrigin": cors}
        return {k: str(v).strip("'") for k, v in cors.items()}

    def binary_media_types(self, api: str) -> tuple[str, ...]:
        """The Api's BinaryMediaTypes as media types (``~1`` is CloudFormation's escape of ``/``)."""
        listed = self.resolve(self._api_props(api).get("BinaryMediaTypes") or [])
        return tuple(str(media_type).replace("~1", "/") for media_type in listed)

    def stage(self, api: str) -> str:
        """The Api's StageName (SAM's implicit API is "Prod")."""
        return str(self.resolve(self._api_props(api).get("StageName", "Prod")))

    def _api_props(self, api: str) -> dict[str, Any]:
        """Properties of an Api resource; empty for SAM's implicit ServerlessRestApi."""
        return self.props(api) if api in self.resources else {}

    def queue_for_arn(self, arn: str) -> str:
        """The logical id of the template's queue with this ARN."""
        for logical in self.of_type("AWS::SQS::Queue"):
            if self.get_att(logical, "Arn") == arn:
                return logical
        raise TemplateError(f"no queue in the template has ARN {arn}")

    def queue_url_for_arn(self, arn: str) -> str:
        return self.ref(self.queue_for_arn(arn))


def _merge_globals(globals_: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's rule: maps merge (the function wins), lists append, scalars are overridden."""
    merged: dict[str, Any] = copy.deepcopy(dict(globals_))
    for key, value in props.items():
        if key in merged and isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = _merge_globals(merged[key], value)
        elif key in merged and isinstance(merged[key], list) and isinstance(value, list):
            merged[key] = merged[key] + copy.deepcopy(value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _short_hash(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]
