"""A registry simulator: a real HTTP server speaking the registry contract, for demos and tests."""

from emp_edge.registry_sim.contract import Contract, ContractError
from emp_edge.registry_sim.faults import Fault, Faults
from emp_edge.registry_sim.registry import AcceptedEvent, Registry
from emp_edge.registry_sim.roster import ExpiredCursorError, RosterPage
from emp_edge.registry_sim.server import RegistryServer

__all__ = [
    "AcceptedEvent",
    "Contract",
    "ContractError",
    "ExpiredCursorError",
    "Fault",
    "Faults",
    "Registry",
    "RegistryServer",
    "RosterPage",
]
