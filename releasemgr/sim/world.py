"""The simulated world: one repository, its users, environments, workflows, runs and artifacts.

Everything here is plain state plus the operations GitHub offers on it (push, dispatch, review
pending deployments, cancel, re-run). Time never passes inside: ``sync()`` brings every active
run up to the clock's ``now()`` (see ``engine.py``), and the server calls it before each request.
Hold ``world.lock`` around any read or change.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from releasemgr.sim import engine
from releasemgr.sim.clock import Clock
from releasemgr.sim.entities import (
    Approval,
    Artifact,
    Attempt,
    Deployment,
    Environment,
    Job,
    Run,
    User,
    Workflow,
)
from releasemgr.sim.pipeline import (
    PRODUCTION_ENVIRONMENTS,
    ROLLBACK_INPUT,
    SIGNOFF_ENVIRONMENT,
    WORKFLOW_FILE,
)


class WorldError(Exception):
    """An operation GitHub would refuse; ``status`` is the HTTP status it answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RepoInfo:
    """The simulated repository's fixed facts."""

    id: int
    owner: str
    owner_id: int
    name: str
    created_at: float
    description: str = "ZyraVideoAgentBackend: the MassUGC video service, built and released."
    private: bool = True
    default_branch: str = "main"

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"


class World:
    """The state machine behind the simulator."""

    def __init__(self, *, seed: int, clock: Clock, repo: RepoInfo, app: str) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.clock = clock
        self.repo = repo
        self.app = app
        self.rng = random.Random(seed)
        self.accounts: dict[str, User] = {}
        self.environments: dict[str, Environment] = {}
        self.workflows: dict[int, Workflow] = {}
        self.runs: dict[int, Run] = {}
        self.artifacts: dict[int, Artifact] = {}
        self.deployments: dict[int, Deployment] = {}
        self.approvals: list[Approval] = []
        self.branches: dict[str, str] = {
            "main": self.new_sha("main"),
            "develop": self.new_sha("dev"),
        }
        self.tags: dict[str, str] = {}
        self.versions: dict[str, str] = {"main": "1.0.0"}
        # GitHub cannot express "two different people" in one environment; the pipeline's
        # production job checks it. The simulator also refuses the second production approval
        # from the person who signed off (see DESIGN.md and README); off, only the job checks.
        self.enforce_distinct_production_approvers = True
        self._ids: dict[str, int] = {
            "run": 12_000_000_000,
            "job": 34_000_000_000,
            "artifact": 4_100_000_000,
            "deployment": 2_600_000_000,
            "status": 5_900_000_000,
            "env": 5_300_000_000,
            "runner": 1_000_000_000,
            "rule": 31_000_000,
        }
        self._run_numbers: dict[int, int] = {}
        self._sha_counter = 0
        self.active_runs: set[int] = set()
        self.activity_every: float | None = None
        self.commit_messages: tuple[str, ...] = ("Update the backend",)
        self.next_activity_at = 0.0

    # ---- ids and lookups -------------------------------------------------------------------

    def next_id(self, kind: str) -> int:
        """A fresh id of the given kind, increasing like GitHub's."""
        self._ids[kind] += 1 + self.rng.randrange(0, 7)
        return self._ids[kind]

    def new_sha(self, salt: str = "") -> str:
        """A fresh, seeded 40-hex commit SHA."""
        self._sha_counter = getattr(self, "_sha_counter", 0) + 1
        text = f"{self.seed}:{salt}:{self._sha_counter}"
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()

    def new_tree_id(self, sha: str) -> str:
        """The tree id of a commit (stable per commit)."""
        return hashlib.sha1(f"tree:{sha}".encode(), usedforsecurity=False).hexdigest()

    def add_user(self, login: str, role: str, name: str, token: str) -> User:
        """Create an account (``token`` empty for accounts nobody signs in as)."""
        user = User(login, 583_000 + len(self.accounts) * 7_919 + 11, role, name, token)
        self.accounts[login] = user
        return user

    def user_by_token(self, token: str) -> User | None:
        """The account a token belongs to, or ``None``."""
        for user in self.accounts.values():
            if user.token and user.token == token:
                return user
        return None

    def add_environment(
        self,
        name: str,
        reviewers: Iterable[str] = (),
        *,
        prevent_self_review: bool = False,
        wait_timer: int = 0,
        at: float | None = None,
    ) -> Environment:
        """Create or update an environment with its required reviewers."""
        ts = self.clock.now() if at is None else at
        env = self.environments.get(name)
        if env is None:
            env = Environment(self.next_id("env"), name, ts, ts)
            env.reviewers_rule_id = self.next_id("rule")
            env.wait_timer_rule_id = self.next_id("rule")
            env.branch_rule_id = self.next_id("rule")
            self.environments[name] = env
        env.reviewers = list(reviewers)
        env.prevent_self_review = prevent_self_review
        env.wait_timer = wait_timer
        env.updated_at = ts
        return env

    def environment_by_id(self, env_id: int) -> Environment | None:
        """The environment with this id, or ``None``."""
        return next((e for e in self.environments.values() if e.id == env_id), None)

    def add_workflow(self, workflow: Workflow) -> Workflow:
        """Register a workflow file."""
        self.workflows[workflow.id] = workflow
        return workflow

    def workflow(self, key: str) -> Workflow | None:
        """A workflow by id or by file name (``build-and-deploy.yml``)."""
        for wf in self.workflows.values():
            if key == str(wf.id) or key == wf.path.rsplit("/", 1)[-1]:
                return wf
        return None

    @property
    def main_workflow(self) -> Workflow:
        """The workflow that builds and deploys."""
        wf = self.workflow(WORKFLOW_FILE)
        assert wf is not None
        return wf

    def run(self, run_id: int) -> Run | None:
        """A run by id, or ``None``."""
        return self.runs.get(run_id)

    def job(self, job_id: int) -> tuple[Run, Job] | None:
        """A job (of any attempt) by id, with its run."""
        for run in self.runs.values():
            for attempt in run.attempts:
                for job in attempt.jobs:
                    if job.id == job_id:
                        return run, job
        return None

    # ---- time ------------------------------------------------------------------------------

    def sync(self) -> None:
        """Bring every active run up to the clock's current time (and push, when scheduled)."""
        now = self.clock.now()
        while self.activity_every and self.next_activity_at <= now:
            at = self.next_activity_at
            self.next_activity_at += self.activity_every
            self._scheduled_push(at)
        engine.sync(self, now)

    def schedule_activity(self, every: float | None) -> None:
        """Let developers push every ``every`` simulated seconds (``None``: never), so a demo
        running on scaled time keeps getting new runs; two of three pushes go to ``main``."""
        self.activity_every = every if every and every > 0 else None
        self.next_activity_at = self.clock.now() + (self.activity_every or 0)

    def _scheduled_push(self, at: float) -> None:
        n = self._activity_count = getattr(self, "_activity_count", 0) + 1
        branch = "develop" if n % 3 == 0 else "main"
        developers = [u.login for u in self.accounts.values() if u.role == "developer"]
        actor = developers[n % len(developers)] if developers else None
        messages = self.commit_messages
        title = messages[(n * 5) % len(messages)]
        self.push(branch, title=title, actor=actor, at=at, settle=False)

    # ---- operations ------------------------------------------------------------------------

    def push(
        self,
        branch: str = "main",
        *,
        title: str = "",
        sha: str | None = None,
        actor: str | None = None,
        at: float | None = None,
        fail: dict[str, str] | None = None,
        version: str | None = None,
        event: str = "push",
        inputs: dict[str, str] | None = None,
        settle: bool = True,
    ) -> Run:
        """A commit lands on ``branch`` (or a dispatch): start a run of the pipeline."""
        now = self.clock.now() if at is None else at
        if actor is not None and actor not in self.accounts:
            raise ValueError(f"no simulated account {actor!r} to push as")
        wf = self.main_workflow
        sha = sha or self.new_sha(branch)
        if event == "push":
            self.branches[branch] = sha
        if version is None:
            version = (
                self._bump_version(branch)
                if event == "push"
                else self.versions.get(branch, self.versions["main"])
            )
        number = self._run_numbers.get(wf.id, 0) + 1
        self._run_numbers[wf.id] = number
        run = Run(
            id=self.next_id("run"),
            number=number,
            workflow_id=wf.id,
            event=event,
            head_branch=branch,
            head_sha=sha,
            message=title or f"Update {self.app} ({sha[:7]})",
            actor=actor or self.default_actor(),
            created_at=now,
            version=version,
            app=self.app,
            inputs=dict(inputs or {}),
            fail_jobs=dict(fail or {}),
            updated_at=now,
        )
        run.attempts.append(Attempt(1, now, run.actor))
        self.runs[run.id] = run
        self.active_runs.add(run.id)
        if settle:
            engine.advance_run(self, run, self.clock.now())
        return run

    def default_actor(self) -> str:
        """Who pushes when nobody is named: the first developer account, else anyone."""
        for user in self.accounts.values():
            if user.role == "developer":
                return user.login
        return next(iter(self.accounts))

    def _bump_version(self, branch: str) -> str:
        current = self.versions.get(branch, self.versions["main"])
        major, minor, patch = (int(x) for x in current.split(".")[:3])
        new = f"{major}.{minor}.{patch + 1}"
        self.versions[branch] = new
        return new

    def dispatch(
        self,
        workflow: Workflow,
        ref: str,
        inputs: dict[str, object],
        actor: str,
        at: float | None = None,
    ) -> Run:
        """``workflow_dispatch``: validate the ref and inputs like GitHub, then start a run."""
        if not workflow.dispatchable:
            raise WorldError(422, "Workflow does not have 'workflow_dispatch' trigger")
        branch = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
        if branch in self.branches:
            sha = self.branches[branch]
        elif branch in self.tags:
            sha = self.tags[branch]
        else:
            raise WorldError(422, f"No ref found for: {ref}")
        unexpected = sorted(k for k in inputs if k not in workflow.inputs)
        if unexpected:
            listed = ", ".join(f'"{k}"' for k in unexpected)
            raise WorldError(422, f"Unexpected inputs provided: [{listed}]")
        for name, decl in workflow.inputs.items():
            if decl.get("required") and str(inputs.get(name, "")).strip() == "":
                raise WorldError(422, f"Required input '{name}' not provided")
        if workflow.id != self.main_workflow.id:
            raise WorldError(422, "Workflow does not have 'workflow_dispatch' trigger")
        values = {k: str(v) for k, v in inputs.items()}
        title = f"Manual run on {branch}"
        version = branch[1:] if branch in self.tags and branch.startswith("v") else None
        return self.push(
            branch,
            title=title,
            sha=sha,
            actor=actor,
            event="workflow_dispatch",
            inputs=values,
            at=at,
            version=version,
        )

    def rollback(
        self, target_run_id: int, actor: str, ref: str = "main", at: float | None = None
    ) -> Run:
        """Dispatch the rollback of production to ``target_run_id``'s release."""
        inputs: dict[str, object] = {ROLLBACK_INPUT: str(target_run_id)}
        return self.dispatch(self.main_workflow, ref, inputs, actor, at=at)

    def pending(self, run: Run) -> list[Job]:
        """The jobs of the latest attempt waiting for a review."""
        return [j for j in run.attempt.jobs if j.status == "waiting"]

    def signoff_approver(self, run: Run) -> str | None:
        """Who approved ``production-signoff`` for this run (latest such approval)."""
        for approval in reversed(self.approvals):
            if (
                approval.run_id == run.id
                and approval.attempt == run.attempt.number
                and approval.state == "approved"
                and SIGNOFF_ENVIRONMENT in approval.environments
            ):
                return approval.user
        return None

    def refusal(self, run: Run, env: Environment, login: str) -> str | None:
        """Why ``login`` may not review ``env`` on this run now, or ``None`` if they may."""
        if login not in env.reviewers:
            return f"{login} is not a required reviewer for environment {env.name}"
        if env.prevent_self_review and login == run.attempt.actor:
            return f"{login} triggered this run and may not approve environment {env.name}"
        if self.enforce_distinct_production_approvers and env.name in PRODUCTION_ENVIRONMENTS:
            signer = self.signoff_approver(run)
            if signer == login:
                return (
                    f"{login} signed off production for this run; the second production "
                    f"approval for {env.name} must come from someone else"
                )
        return None

    def review(
        self,
        run: Run,
        env_ids: list[int],
        state: str,
        comment: str,
        login: str,
        at: float | None = None,
    ) -> list[Deployment]:
        """Approve or reject waiting environments of a run, all or none; the deployments."""
        waiting = {j.spec.environment: j for j in self.pending(run) if j.spec.environment}
        chosen: list[tuple[Environment, Job]] = []
        for env_id in env_ids:
            env = self.environment_by_id(env_id)
            if env is None or env.name not in waiting:
                raise WorldError(
                    422, f"Environment {env_id} is not waiting for a review on run {run.id}"
                )
            reason = self.refusal(run, env, login)
            if reason:
                raise WorldError(422, reason)
            chosen.append((env, waiting[env.name]))
        now = self.clock.now() if at is None else at
        self.approvals.append(
            Approval(
                run.id,
                login,
                state,
                comment,
                [env.name for env, _ in chosen],
                now,
                run.attempt.number,
            )
        )
        result = []
        for _env, job in chosen:
            engine.review_job(self, run, job, state, login, comment, now)
            if job.deployment_id is not None:
                result.append(self.deployments[job.deployment_id])
        run.updated_at = max(run.updated_at, now)
        engine.advance_run(self, run, self.clock.now() if at is None else at)
        return result

    def cancel(self, run: Run, login: str, *, force: bool = False, at: float | None = None) -> None:
        """Cancel the latest attempt; 409 when it is already finished."""
        if run.attempt.status == "completed":
            raise WorldError(409, "Cannot cancel a workflow run that is completed.")
        engine.cancel_attempt(self, run, self.clock.now() if at is None else at, login)

    def rerun(
        self,
        run: Run,
        login: str,
        *,
        only_failed: bool = False,
        job: Job | None = None,
        at: float | None = None,
    ) -> None:
        """Start a new attempt: all jobs, only failed ones (and dependents), or one job."""
        if run.attempt.status != "completed":
            raise WorldError(403, "This workflow is already running")
        if only_failed and run.attempt.conclusion == "success":
            raise WorldError(403, "This workflow run has no failed jobs to re-run")
        when = self.clock.now() if at is None else at
        engine.new_attempt(self, run, when, login, only_failed=only_failed, job=job)
