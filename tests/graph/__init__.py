"""Tests of workbench.graph: model, catalog, validation, commands, file format, templates."""
