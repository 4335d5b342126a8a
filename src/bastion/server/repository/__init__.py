"""The repository layer: every query on scenarios is filtered by the caller's nation and clearance.

A scenario is visible to a caller iff the caller's clearance ranks at or above the scenario's
level and the caller's nation is the owner's or one it is releasable to. A request reads the
scenario tables only through this package, so no route can forget the filter: an invisible
scenario is simply not found, exactly as a missing one. A run or study is visible iff its
scenario is. The reads elsewhere are gated or answer no request: the web pages' lists of a
scenario's runs (server/web/needs.py) run only on a scenario this package found visible, and the
job dispatcher (server/jobs.py) reads the jobs it executes, which were admitted through it.

- `visibility`: the caller, a releasability, and the filter every query carries;
- `accounts`: users, tokens and failed logins;
- `scenarios`: scenarios and their revisions;
- `jobs`: runs and studies (the job queue's rows), and which ids of an audit record are visible.
"""

from bastion.server.repository.accounts import USE_NOTED_EVERY_S, Users
from bastion.server.repository.jobs import CANCELLABLE, Runs, Studies, visible_ids
from bastion.server.repository.scenarios import ARCHIVED, Scenarios
from bastion.server.repository.visibility import Caller, Releasability

__all__ = [
    "ARCHIVED",
    "CANCELLABLE",
    "USE_NOTED_EVERY_S",
    "Caller",
    "Releasability",
    "Runs",
    "Scenarios",
    "Studies",
    "Users",
    "visible_ids",
]
