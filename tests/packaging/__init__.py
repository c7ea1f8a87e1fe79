"""Tests of the installers' inputs: icons, Linux desktop data, the briefcase configuration."""
