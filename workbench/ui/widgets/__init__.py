"""Small widgets and helpers that several views share (tables)."""
