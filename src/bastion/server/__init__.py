"""The workspace server (`bastion serve`): versioned scenarios shared under releasability rules,
users and roles, and a hash-chained audit trail, over a REST API (docs/server.md)."""

from bastion.server.app import create_app
from bastion.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
