"""What the tests share: the project's paths, small canonical tables, the demo county's
fixtures, and the session's county run. ``pythonpath = ["tests"]`` (pyproject.toml) makes
it importable from every test folder."""
