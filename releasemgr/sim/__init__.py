"""A local, stateful simulator of the part of GitHub's REST API releasemgr uses.

``Simulator`` (see ``simulator.py``) is the entry point; ``releasemgr sim`` runs one standalone.
"""

from releasemgr.sim.simulator import Simulator, UserInfo

__all__ = ["Simulator", "UserInfo"]
