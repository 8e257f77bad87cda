"""The built-in catalog: one folder per assignment, one TOML spec per problem (data only)."""
