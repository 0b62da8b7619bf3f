"""What every form shows when the API rejects a field (web/js/forms.js), checked one way by every test."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def expect_error_on_field(form: Locator | Page, field: Locator, label: str, message: str) -> None:
    """The field the API named is marked invalid and focused, its message is under it (the element its
    aria-describedby names) and the form's summary names the field by its Chinese label."""
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    error_id = field.get_attribute("aria-describedby").split()[-1]
    expect(form.locator(f"#{error_id}")).to_have_text(message)
    expect(form.locator(".form-error")).to_have_text(f"请检查“{label}”：{message}")
