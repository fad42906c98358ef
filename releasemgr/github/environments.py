"""Set up the five gate environments: required reviewers and ``prevent_self_review``.

Idempotent: an environment is written only when it is missing or differs from what it should
be, so a second run changes nothing. Reviewers come from the settings
(``environments.reviewers``); when none are configured an environment keeps the reviewers it
has, and a new one gets the signed-in user.
"""

from __future__ import annotations

from typing import Any

from releasemgr.config import Config
from releasemgr.github.gateway import Gateway
from releasemgr.model import Stage, User


def environment_names(config: Config) -> list[str]:
    """The gate environments of the pipeline, in pipeline order."""
    names = [config.environment(Stage.CANARY, p) for p in config.platform_list()]
    names.append(config.signoff_environment)
    names.extend(config.environment(Stage.PRODUCTION, p) for p in config.platform_list())
    return names


def _rule(env: dict[str, Any]) -> dict[str, Any]:
    for rule in env.get("protection_rules") or ():
        if rule.get("type") == "required_reviewers":
            return dict(rule)
    return {}


def _reviewer_keys(rule: dict[str, Any]) -> list[tuple[str, int, str]]:
    out = []
    for r in rule.get("reviewers") or ():
        body = r.get("reviewer") or {}
        label = str(body.get("login") or body.get("slug") or body.get("id"))
        out.append((str(r.get("type") or "User"), int(body.get("id") or 0), label))
    return out


def _wait_timer(env: dict[str, Any]) -> int:
    for rule in env.get("protection_rules") or ():
        if rule.get("type") == "wait_timer":
            return int(rule.get("wait_timer") or 0)
    return 0


def ensure_environments(
    gw: Gateway, repo_path: str, repository: str, config: Config, me: User
) -> list[str]:
    """Create or update each gate environment; returns one line per change made."""
    existing = {
        str(e.get("name")): e
        for e in gw.get_list(
            f"{repo_path}/environments",
            what=f"environments of {repository}",
            key="environments",
            params=None,
        )
    }
    wanted_users: list[tuple[str, int, str]] | None = None
    if config.reviewers:
        wanted_users = []
        for login in config.reviewers:
            data = gw.get(f"/users/{login}", what=f"user {login}").body or {}
            wanted_users.append(("User", int(data.get("id") or 0), login))
    changes: list[str] = []
    for name in environment_names(config):
        env = existing.get(name)
        rule = _rule(env) if env else {}
        have = _reviewer_keys(rule)
        want = wanted_users if wanted_users is not None else (have or [("User", me.id, me.login)])
        same_reviewers = sorted((t, i) for t, i, _ in have) == sorted((t, i) for t, i, _ in want)
        same_psr = bool(rule.get("prevent_self_review")) is True
        if env is not None and same_reviewers and same_psr:
            continue
        body = {
            "wait_timer": _wait_timer(env) if env else 0,
            "prevent_self_review": True,
            "reviewers": [{"type": t, "id": i} for t, i, _ in want],
        }
        gw.write("PUT", f"{repo_path}/environments/{name}", what=f"environment {name}", body=body)
        gw.forget(f"{repo_path}/environments", {"per_page": 100})
        who = ", ".join(label for _, _, label in want)
        verb = "created" if env is None else "updated"
        changes.append(f"{verb} {name}: reviewers {who}; prevent_self_review on")
    return changes
