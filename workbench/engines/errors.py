"""Errors of execution targets: each names the target and says what to do."""

from __future__ import annotations

from workbench.errors import UnusableInputError


class TargetError(UnusableInputError):
    """A target cannot be used: unreachable, refused, misconfigured."""


class HostKeyError(TargetError):
    """An SSH host key is unknown or has changed; nothing was sent to the host."""
