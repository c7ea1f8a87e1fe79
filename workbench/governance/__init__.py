"""Governance: who may do what, the audit chain's checks, lineage and reports."""
