"""Where steps execute: local (CPU/GPU), Spark and SSH targets behind one executor interface."""
