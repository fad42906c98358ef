"""GitHub's JSON shapes for the world's records (field names, types and nesting as api.github.com).

Each function takes the record and the ``Urls`` of the running simulator and returns plain data
ready for ``json.dumps``. Compare with the recorded bodies in the shared reference data.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from releasemgr.sim.clock import iso
from releasemgr.sim.entities import (
    Artifact,
    Job,
    Run,
    User,
    Workflow,
)

if TYPE_CHECKING:
    from releasemgr.sim.world import World

Json = dict[str, Any]


@dataclass(frozen=True)
class Urls:
    """Where the simulator answers: REST API root and the web (html_url) host."""

    api: str
    web: str


def node_id(prefix: str, number: int) -> str:
    """A node id in GitHub's style (``WFR_kwLO...``)."""
    raw = number.to_bytes(8, "big")
    return f"{prefix}_kwDO{base64.b64encode(raw).decode().rstrip('=')}"


def simple_user(user: User, urls: Urls) -> Json:
    """A ``simple-user`` object."""
    api = f"{urls.api}/users/{user.login}"
    return {
        "login": user.login,
        "id": user.id,
        "node_id": node_id("U", user.id),
        "avatar_url": f"{urls.web}/avatars/u/{user.id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{urls.web}/{user.login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "Organization" if user.role == "organization" else "User",
        "user_view_type": "public",
        "site_admin": False,
    }


def private_user(user: User, urls: Urls, created_at: float) -> Json:
    """``GET /user`` for the token's owner (a ``private-user``)."""
    return {
        **simple_user(user, urls),
        "user_view_type": "private",
        "name": user.name,
        "company": "MassUGC",
        "blog": "",
        "location": None,
        "email": f"{user.login}@massugc.example",
        "hireable": None,
        "bio": f"{user.role.replace('-', ' ').capitalize()} (simulated account)",
        "twitter_username": None,
        "notification_email": f"{user.login}@massugc.example",
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": iso(created_at),
        "updated_at": iso(created_at),
        "private_gists": 0,
        "total_private_repos": 1,
        "owned_private_repos": 0,
        "disk_usage": 0,
        "collaborators": 0,
        "two_factor_authentication": True,
        "plan": {"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 10000},
    }


def minimal_repo(world: World, urls: Urls) -> Json:
    """A ``minimal-repository`` object as runs embed it."""
    repo = world.repo
    api = f"{urls.api}/repos/{repo.full_name}"
    owner = world.accounts[repo.owner]
    return {
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": simple_user(owner, urls),
        "html_url": f"{urls.web}/{repo.full_name}",
        "description": repo.description,
        "fork": False,
        "url": api,
        "forks_url": f"{api}/forks",
        "keys_url": f"{api}/keys{{/key_id}}",
        "collaborators_url": f"{api}/collaborators{{/collaborator}}",
        "teams_url": f"{api}/teams",
        "hooks_url": f"{api}/hooks",
        "issue_events_url": f"{api}/issues/events{{/number}}",
        "events_url": f"{api}/events",
        "assignees_url": f"{api}/assignees{{/user}}",
        "branches_url": f"{api}/branches{{/branch}}",
        "tags_url": f"{api}/tags",
        "blobs_url": f"{api}/git/blobs{{/sha}}",
        "git_tags_url": f"{api}/git/tags{{/sha}}",
        "git_refs_url": f"{api}/git/refs{{/sha}}",
        "trees_url": f"{api}/git/trees{{/sha}}",
        "statuses_url": f"{api}/statuses/{{sha}}",
        "languages_url": f"{api}/languages",
        "stargazers_url": f"{api}/stargazers",
        "contributors_url": f"{api}/contributors",
        "subscribers_url": f"{api}/subscribers",
        "subscription_url": f"{api}/subscription",
        "commits_url": f"{api}/commits{{/sha}}",
        "git_commits_url": f"{api}/git/commits{{/sha}}",
        "comments_url": f"{api}/comments{{/number}}",
        "issue_comment_url": f"{api}/issues/comments{{/number}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "compare_url": f"{api}/compare/{{base}}...{{head}}",
        "merges_url": f"{api}/merges",
        "archive_url": f"{api}/{{archive_format}}{{/ref}}",
        "downloads_url": f"{api}/downloads",
        "issues_url": f"{api}/issues{{/number}}",
        "pulls_url": f"{api}/pulls{{/number}}",
        "milestones_url": f"{api}/milestones{{/number}}",
        "notifications_url": f"{api}/notifications{{?since,all,participating}}",
        "labels_url": f"{api}/labels{{/name}}",
        "releases_url": f"{api}/releases{{/id}}",
        "deployments_url": f"{api}/deployments",
    }


def full_repo(world: World, urls: Urls, user: User | None) -> Json:
    """``GET /repos/{owner}/{repo}`` (a ``full-repository``)."""
    repo = world.repo
    host = urls.web.split("://", 1)[-1]
    perm = user.permission if user else "read"
    base = minimal_repo(world, urls)
    return {
        **base,
        "git_url": f"git://{host}/{repo.full_name}.git",
        "ssh_url": f"git@{host.split(':')[0]}:{repo.full_name}.git",
        "clone_url": f"{urls.web}/{repo.full_name}.git",
        "svn_url": f"{urls.web}/{repo.full_name}",
        "mirror_url": None,
        "homepage": None,
        "language": "Python",
        "forks_count": 0,
        "stargazers_count": 3,
        "watchers_count": 3,
        "size": 48213,
        "default_branch": repo.default_branch,
        "open_issues_count": 4,
        "is_template": False,
        "topics": ["pyinstaller", "release"],
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "private" if repo.private else "public",
        "pushed_at": iso(max((r.created_at for r in world.runs.values()), default=repo.created_at)),
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.created_at),
        "permissions": {
            "admin": perm == "admin",
            "maintain": perm == "admin",
            "push": perm in ("admin", "write"),
            "triage": perm in ("admin", "write"),
            "pull": True,
        },
        "allow_forking": False,
        "web_commit_signoff_required": False,
        "subscribers_count": len(world.accounts),
        "network_count": 0,
        "forks": 0,
        "open_issues": 4,
        "watchers": 3,
        "license": None,
        "organization": simple_user(world.accounts[repo.owner], urls),
        "temp_clone_token": "",
        "delete_branch_on_merge": True,
        "allow_squash_merge": True,
        "allow_merge_commit": False,
        "allow_rebase_merge": False,
        "allow_auto_merge": False,
        "allow_update_branch": True,
        "use_squash_pr_title_as_default": True,
        "squash_merge_commit_title": "PR_TITLE",
        "squash_merge_commit_message": "PR_BODY",
        "merge_commit_title": "PR_TITLE",
        "merge_commit_message": "PR_BODY",
        "security_and_analysis": None,
    }


def workflow(world: World, wf: Workflow, urls: Urls) -> Json:
    """A ``workflow`` object."""
    repo = world.repo.full_name
    return {
        "id": wf.id,
        "node_id": node_id("W", wf.id),
        "name": wf.name,
        "path": wf.path,
        "state": wf.state,
        "created_at": iso(wf.created_at),
        "updated_at": iso(wf.updated_at),
        "url": f"{urls.api}/repos/{repo}/actions/workflows/{wf.id}",
        "html_url": f"{urls.web}/{repo}/blob/main/{wf.path}",
        "badge_url": f"{urls.web}/{repo}/workflows/{wf.name.replace(' ', '%20')}/badge.svg",
    }


def run_url(world: World, run_id: int, urls: Urls) -> str:
    """The API URL of a run."""
    return f"{urls.api}/repos/{world.repo.full_name}/actions/runs/{run_id}"


def workflow_run(world: World, run: Run, urls: Urls, attempt: int | None = None) -> Json:
    """A ``workflow-run`` object, of the latest attempt or of ``attempt``."""
    att = run.attempts[(attempt or len(run.attempts)) - 1]
    wf = world.workflows[run.workflow_id]
    url = run_url(world, run.id, urls)
    repo = minimal_repo(world, urls)
    actor = world.accounts[run.actor]
    trigger = world.accounts.get(att.actor, actor)
    updated = run.updated_at if att is run.attempt else (att.completed_at or att.started_at)
    return {
        "id": run.id,
        "name": wf.name,
        "node_id": node_id("WFR", run.id),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": wf.path,
        "display_title": run.display_title,
        "run_number": run.number,
        "event": run.event,
        "status": att.status,
        "conclusion": att.conclusion,
        "workflow_id": wf.id,
        "check_suite_id": run.id * 3 + att.number,
        "check_suite_node_id": node_id("CS", run.id * 3 + att.number),
        "url": url,
        "html_url": f"{urls.web}/{world.repo.full_name}/actions/runs/{run.id}",
        "pull_requests": [],
        "created_at": iso(run.created_at),
        "updated_at": iso(updated),
        "actor": simple_user(actor, urls),
        "run_attempt": att.number,
        "referenced_workflows": [],
        "run_started_at": iso(att.started_at),
        "triggering_actor": simple_user(trigger, urls),
        "jobs_url": f"{url}/jobs",
        "logs_url": f"{url}/logs",
        "check_suite_url": f"{urls.api}/repos/{world.repo.full_name}/check-suites/"
        f"{run.id * 3 + att.number}",
        "artifacts_url": f"{url}/artifacts",
        "cancel_url": f"{url}/cancel",
        "rerun_url": f"{url}/rerun",
        "previous_attempt_url": f"{url}/attempts/{att.number - 1}" if att.number > 1 else None,
        "workflow_url": f"{urls.api}/repos/{world.repo.full_name}/actions/workflows/{wf.id}",
        "head_commit": {
            "id": run.head_sha,
            "tree_id": world.new_tree_id(run.head_sha),
            "message": run.message,
            "timestamp": iso(run.created_at - 30),
            "author": {"name": actor.name, "email": f"{actor.login}@massugc.example"},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
        "repository": repo,
        "head_repository": repo,
    }


def _step_status(job: Job, i: int, name: str) -> tuple[str, str | None, float | None, float | None]:
    """Status, conclusion, start and end of step ``i`` of a job, as of the job's state."""
    if job.started_at is None or not job.step_times:
        if job.status == "completed":
            return "completed", "skipped", None, None
        return "queued", None, None, None
    start = job.started_at if i == 0 else job.step_times[i - 1]
    end = job.step_times[i]
    failed_at = job.spec.work_step_index if job.conclusion == "failure" and job.fail else None
    if job.status == "completed":
        if job.conclusion == "cancelled" and (job.completed_at or 0) < end:
            if (job.completed_at or 0) <= start:
                return "completed", "cancelled", None, None
            return "completed", "cancelled", start, job.completed_at
        if failed_at is not None and i > failed_at and name != "Complete job":
            return "completed", "skipped", None, None
        conclusion = "failure" if failed_at == i else "success"
        return "completed", conclusion, start, end
    return "", None, start, end  # decided by the caller against "now"


def job_payload(world: World, run: Run, job: Job, urls: Urls, now: float) -> Json:
    """A ``job`` object with its steps."""
    repo = world.repo.full_name
    wf = world.workflows[run.workflow_id]
    steps = []
    if job.status in ("in_progress", "completed") and job.conclusion != "skipped":
        for i, name in enumerate(job.spec.steps):
            status, conclusion, start, end = _step_status(job, i, name)
            if not status:
                if end is not None and end <= now:
                    status, conclusion = "completed", "success"
                elif start is not None and start <= now:
                    status, conclusion, end = "in_progress", None, None
                else:
                    status, conclusion, start, end = "queued", None, None, None
            steps.append(
                {
                    "name": name,
                    "status": status,
                    "conclusion": conclusion,
                    "number": i + 1,
                    "started_at": iso(start),
                    "completed_at": iso(end) if status == "completed" else None,
                }
            )
    has_runner = job.runner_id is not None
    return {
        "id": job.id,
        "run_id": run.id,
        "workflow_name": wf.name,
        "head_branch": run.head_branch,
        "run_url": run_url(world, run.id, urls),
        "run_attempt": job.attempt,
        "node_id": node_id("CR", job.id),
        "head_sha": run.head_sha,
        "url": f"{urls.api}/repos/{repo}/actions/jobs/{job.id}",
        "html_url": f"{urls.web}/{repo}/actions/runs/{run.id}/job/{job.id}",
        "status": job.status,
        "conclusion": job.conclusion,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at if job.started_at is not None else job.created_at),
        "completed_at": iso(job.completed_at),
        "name": job.name,
        "steps": steps,
        "check_run_url": f"{urls.api}/repos/{repo}/check-runs/{job.id}",
        "labels": [job.spec.runner_label],
        "runner_id": job.runner_id if has_runner else None,
        "runner_name": f"GitHub Actions {job.runner_id}" if has_runner else None,
        "runner_group_id": 0 if has_runner else None,
        "runner_group_name": "GitHub Actions" if has_runner else None,
    }


def artifact(world: World, art: Artifact, urls: Urls, now: float) -> Json:
    """An ``artifact`` object (size and digest from the zip on disk)."""
    url = f"{urls.api}/repos/{world.repo.full_name}/actions/artifacts/{art.id}"
    return {
        "id": art.id,
        "node_id": node_id("MDg6QXJ0aWZhY3Q", art.id),
        "name": art.name,
        "size_in_bytes": art.size or 0,
        "url": url,
        "archive_download_url": f"{url}/zip",
        "expired": art.expires_at <= now or art.deleted,
        "digest": art.digest,
        "created_at": iso(art.created_at),
        "updated_at": iso(art.created_at + 1),
        "expires_at": iso(art.expires_at),
        "workflow_run": {
            "id": art.run_id,
            "repository_id": world.repo.id,
            "head_repository_id": world.repo.id,
            "head_branch": art.head_branch,
            "head_sha": art.head_sha,
        },
    }
