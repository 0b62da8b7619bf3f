"""In-memory fakes of Houqin's ports (houqin.ports) and repositories, for unit tests of the use cases: no moto,
no network, no sleeping. A fake keeps what it was given so a test can assert on it."""
