"""GitHub's JSON shapes for environments, pending deployments, approvals and deployments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from releasemgr.sim.clock import iso
from releasemgr.sim.entities import (
    Approval,
    Deployment,
    DeploymentStatus,
    Environment,
    Job,
    Run,
    User,
)
from releasemgr.sim.payloads import Json, Urls, node_id, simple_user

if TYPE_CHECKING:
    from releasemgr.sim.world import World


def environment_ref(world: World, env: Environment, urls: Urls, *, dates: bool) -> Json:
    """The short environment object pending deployments and approvals embed."""
    repo = world.repo.full_name
    data: Json = {
        "id": env.id,
        "node_id": node_id("EN", env.id),
        "name": env.name,
        "url": f"{urls.api}/repos/{repo}/environments/{env.name}",
        "html_url": f"{urls.web}/{repo}/deployments/activity_log?environments_filter={env.name}",
    }
    if dates:
        data["created_at"] = iso(env.created_at)
        data["updated_at"] = iso(env.updated_at)
    return data


def reviewers(world: World, env: Environment, urls: Urls) -> list[Json]:
    """The required reviewers of an environment, as ``{"type", "reviewer"}`` entries."""
    return [
        {"type": "User", "reviewer": simple_user(world.accounts[login], urls)}
        for login in env.reviewers
        if login in world.accounts
    ]


def environment(world: World, env: Environment, urls: Urls) -> Json:
    """An ``environment`` object with its protection rules."""
    rules: list[Json] = []
    if env.wait_timer:
        rules.append(
            {
                "id": env.wait_timer_rule_id,
                "node_id": node_id("GA", env.wait_timer_rule_id),
                "type": "wait_timer",
                "wait_timer": env.wait_timer,
            }
        )
    if env.reviewers:
        rules.append(
            {
                "id": env.reviewers_rule_id,
                "node_id": node_id("GA", env.reviewers_rule_id),
                "prevent_self_review": env.prevent_self_review,
                "type": "required_reviewers",
                "reviewers": reviewers(world, env, urls),
            }
        )
    if env.protected_branches_only:
        rules.append(
            {
                "id": env.branch_rule_id,
                "node_id": node_id("GA", env.branch_rule_id),
                "type": "branch_policy",
            }
        )
    return {
        **environment_ref(world, env, urls, dates=True),
        "can_admins_bypass": env.can_admins_bypass,
        "protection_rules": rules,
        "deployment_branch_policy": (
            {"protected_branches": True, "custom_branch_policies": False}
            if env.protected_branches_only
            else None
        ),
    }


def pending_deployment(world: World, run: Run, job: Job, urls: Urls, user: User | None) -> Json:
    """A ``pending-deployment`` entry for a job waiting at its environment."""
    env = world.environments[job.spec.environment or ""]
    can = user is not None and world.refusal(run, env, user.login) is None
    started = job.waiting_since if env.wait_timer else None
    return {
        "environment": environment_ref(world, env, urls, dates=False),
        "wait_timer": env.wait_timer,
        "wait_timer_started_at": iso(started),
        "current_user_can_approve": can,
        "reviewers": reviewers(world, env, urls),
    }


def approval(world: World, item: Approval, urls: Urls) -> Json:
    """An ``environment-approvals`` entry of a run's review history."""
    envs = [world.environments[name] for name in item.environments if name in world.environments]
    return {
        "environments": [environment_ref(world, e, urls, dates=True) for e in envs],
        "state": item.state,
        "user": simple_user(world.accounts[item.user], urls),
        "comment": item.comment,
    }


def deployment(world: World, dep: Deployment, urls: Urls) -> Json:
    """A ``deployment`` object."""
    api = f"{urls.api}/repos/{world.repo.full_name}"
    return {
        "url": f"{api}/deployments/{dep.id}",
        "id": dep.id,
        "node_id": node_id("DE", dep.id),
        "sha": dep.sha,
        "ref": dep.ref,
        "task": dep.task,
        "payload": dep.payload,
        "original_environment": dep.environment,
        "environment": dep.environment,
        "description": dep.description or None,
        "creator": simple_user(world.accounts[dep.creator], urls),
        "created_at": iso(dep.created_at),
        "updated_at": iso(dep.updated_at),
        "statuses_url": f"{api}/deployments/{dep.id}/statuses",
        "repository_url": api,
        "transient_environment": False,
        "production_environment": dep.production,
        "performed_via_github_app": None,
    }


def deployment_status(world: World, dep: Deployment, st: DeploymentStatus, urls: Urls) -> Json:
    """A ``deployment-status`` object."""
    api = f"{urls.api}/repos/{world.repo.full_name}"
    log = st.log_url or (
        f"{urls.web}/{world.repo.full_name}/actions/runs/{dep.run_id}" if dep.run_id else ""
    )
    return {
        "url": f"{api}/deployments/{dep.id}/statuses/{st.id}",
        "id": st.id,
        "node_id": node_id("DES", st.id),
        "state": st.state,
        "creator": simple_user(world.accounts[st.creator], urls),
        "description": st.description,
        "environment": st.environment,
        "target_url": log,
        "created_at": iso(st.created_at),
        "updated_at": iso(st.created_at),
        "deployment_url": f"{api}/deployments/{dep.id}",
        "repository_url": api,
        "environment_url": st.environment_url,
        "log_url": log,
        "performed_via_github_app": None,
    }
