"""Where demo requests came from: IP addresses, user agents and request ids.

Addresses come only from the ranges reserved for documentation (RFC 5737 and RFC 3849), so demo data
can never point at a real machine.
"""

from backoffice.demo_data.context import DemoContext
from backoffice.demo_data.vocabulary import USER_AGENTS

_IPV4_NETWORKS = ("192.0.2", "198.51.100", "203.0.113")


def ip_address(ctx: DemoContext) -> str:
    if ctx.rng.random() < 0.1:
        return f"2001:db8::{ctx.rng.getrandbits(16):x}:{ctx.rng.getrandbits(16):x}"
    return f"{ctx.pick(_IPV4_NETWORKS)}.{ctx.rng.randint(1, 254)}"


def user_agent(ctx: DemoContext) -> str:
    return ctx.pick(USER_AGENTS)


def request_id(ctx: DemoContext) -> str:
    return f"{ctx.rng.getrandbits(128):032x}"
