"""Benchmark: the staff support queue (``support:queue``) at 100k and 1M tickets.

For each variant of the queue this measures the whole page (median of several runs after warm-up,
in-process Django test client, a signed-in staff user whose role-based permissions a first request has
cached) and compares it with two baselines measured in the same run:

- the bare page query: the queryset the view builds (``tickets_visible_to``, the ``TicketFilter``,
  ``queue_rows``) ordered as the keyset page orders it and sliced to one page (51 rows: 50 and one to
  know there is more), materialized; for a search, preceded by the look-up of the people whose name or
  e-mail matches (capped, as ``support.filters`` does it): what the page cannot do without. The page
  and its bare query take turns, run by run, so that both see the same load;
- the same page at 100k tickets.

Variants: all tickets, newest first (a supervisor with the ADMIN role); "mine" (open or in progress,
assigned to me) for an agent whose role grants the view permission model-wide, for a plain handler who
sees tickets through the assignee's per-object grants, and for the busiest agent (a thirtieth of all
tickets); overdue, due first; searches for a common and a rare word of the subjects, part of one
requester's e-mail, a company's e-mail domain (more people than ``support.filters.FEW_PEOPLE``) and an
exact reference; and the page listing nothing, to show its fixed cost.

Targets: the page takes at most 10x its bare query at 1M (the page also renders its rows: the absolute
difference is printed too) and at most 1.2x the same page at 100k; a page makes as many SQL queries at
both sizes; the bare query at 1M has no Seq Scan on the tickets table.

Data: two PostgreSQL databases, ``<prefix>_100k`` and ``<prefix>_1m``, on the server of ``DATABASE_URL``,
created and migrated when missing and filled once, in one transaction (reruns reuse them; drop a
database to fill it again). The fill is ``INSERT ... SELECT generate_series`` with values drawn from a
hash of the row number, so every fill is the same: 20k (50k) requesters with names and e-mails (the
name-search index has work), 30 agents, tickets over three years (more of them lately, ids in opening
order), the newest 15% in hand (about 5% of all open, 5% in progress, 3% resolved) and a few older ones
forgotten open, the rest closed; mixed priorities; deadlines a few hours after opening; some tickets
waiting on the client; the assignees' per-object grants as the desk keeps them. ``sla_due_at`` is the
database's to compute and is never written. Audit capture is off during the fill, foreign keys are not
checked row by row and the secondary indexes are built afterwards: the fill needs a superuser
connection, and takes about 15 s at 100k and 2 min at 1M.

Fixed across sizes, so that the 1M/100k ratio compares like with like: the agents of "mine" have 2,000
tickets each (about 200 active), the person of the e-mail search 12, the rare word 40 tickets.

Usage: python bench/support_queue.py [--runs 15] [--rounds 3] [--db-prefix bo_bench_support] [--explain]
[--strict]. ``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of each bare query at 1M.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from changelists import ms
from databases import capture_triggers_set, create_database_if_missing, with_database
from timing import WARM_UP_RUNS

ROOT = Path(__file__).resolve().parent.parent
# (label, tickets, requesters)
DATABASES = (("100k", 100_000, 20_000), ("1m", 1_000_000, 50_000))
AGENTS = 30
AGENT_TICKETS = 2_000  # the "mine" agents', at both sizes
RARE_PERSON = ("Margot Kowalczyk", "margot.kowalczyk@fastmail.example")
RARE_PERSON_TICKETS = 12
RARE_WORD_TICKETS = 40
SEARCHES = {
    "word": "refund",  # in 3 of the 40 subjects: about 7% of tickets
    "rare word": "chargeback",  # RARE_WORD_TICKETS tickets
    "e-mail": "kowalczyk@fastmail",  # RARE_PERSON: one person
    "domain": "acme-logistics",  # 1 requester in 50: past support.filters.FEW_PEOPLE at both sizes
}
PAGE_ROWS = 50
MAX_PAGE_OVER_QUERY = 10.0
MAX_1M_OVER_100K = 1.2
SEQ_SCAN = "Seq Scan on support_supportticket"
# The tables the fill writes in bulk, and those it writes at all (audit capture off meanwhile).
BULK_TABLES = ("support_supportticket", "support_supportticketuserobjectpermission")
FILLED_TABLES = ("accounts_user", *BULK_TABLES)

SUPERVISOR = "bench-supervisor@desk.bench.example"
AGENT_WIDE = "bench-agent-wide@desk.bench.example"  # holds the view permission model-wide
AGENT_OWN = "bench-agent-own@desk.bench.example"  # a plain handler: sees the tickets granted to them
AGENT_ROLE = "Bench support agent"
HANDLER_ROLE = "Bench ticket handler"

EMPTY = "no rows"
REFERENCE = "reference"  # a query value the worker replaces with a ticket of the database's own
# (variant, who, query string)
VARIANTS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("plain", SUPERVISOR, {}),
    ("mine", AGENT_WIDE, {"status": "active", "assignee": "me"}),
    ("mine (grants)", AGENT_OWN, {"status": "active", "assignee": "me"}),
    ("mine (busiest)", "agent01@desk.bench.example", {"status": "active", "assignee": "me"}),
    ("overdue", SUPERVISOR, {"sla": "overdue", "order": "due"}),
    *((f"search {name}", SUPERVISOR, {"q": text}) for name, text in SEARCHES.items()),
    ("search reference", SUPERVISOR, {"q": REFERENCE}),
    # No ticket opened that day: what the page costs before any row (not held to the targets).
    (EMPTY, SUPERVISOR, {"date_from": "1990-01-01", "date_to": "1990-01-01"}),
)

SUBJECTS = (
    "Cannot download my report", "Payment charged twice", "Consultant did not show up",
    "How do I change my booking?", "Refund not received yet", "Invoice needs my company's address",
    "Cannot log in", "Session link does not work", "Wrong time zone on my booking", "Account suspended",
    "Refund for a cancelled session", "Password reset e-mail never arrives", "Video call keeps dropping",
    "Two-factor code rejected", "Card declined at checkout", "Receipt shows the wrong amount",
    "Please delete my account", "Export my data", "Cannot upload the signed contract", "Partial refund request",
    "Report has missing pages", "Consultant is late again", "Booking confirmation not received",
    "Change the e-mail on my account", "Discount code does not apply", "VAT number missing on invoice",
    "Calendar invite has the wrong date", "App crashes when opening messages", "Feasibility study delayed",
    "Question about pricing", "Need an extra session this week", "Microphone not detected in the call",
    "Bank transfer not showing", "Cannot find my previous sessions", "Notification e-mails in the wrong language",
    "Please reschedule to next Monday", "Attachment too large to send", "Consultant's report is unclear",
    "Subscription renewed without notice", "Our company needs a single invoice",
)  # fmt: skip
RARE_SUBJECT = "Chargeback notice from my bank"


def _reference_digit(shift: int) -> str:
    """SQL for the Crockford base32 digit of ``bits`` at bit ``shift``."""
    return f"substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', 1 + ((bits >> {shift}) & 31)::int, 1)"


# TCK-XXXX-XXXX from `bits`, as support.models.generate_ticket_reference writes them.
REFERENCE_SQL = " || ".join(
    ["'TCK-'", *map(_reference_digit, (35, 30, 25, 20)), "'-'", *map(_reference_digit, (15, 10, 5, 0))]
)
DOMAINS = (
    "gmail.example", "gmail.example", "gmail.example", "outlook.example", "outlook.example", "yahoo.example",
    "proton.example", "icloud.example", "northwind.example", "contoso.example", "fabrikam.example", "initech.example",
)  # fmt: skip
COMMON_DOMAIN = "acme-logistics.example"  # every 50th requester's


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per measurement (median is reported)")
    parser.add_argument("--rounds", type=int, default=3, help="measure each variant this many times at each size")
    parser.add_argument("--db-prefix", default="bo_bench_support", help="databases are <prefix>_100k and <prefix>_1m")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each bare query at 1M")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tickets", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--requesters", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        serve(tickets=args.tickets, requesters=args.requesters)
        return 0

    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    workers = {}
    for label, tickets, requesters in DATABASES:
        database_url = with_database(server_url, f"{args.db_prefix}_{label}")
        create_database_if_missing(database_url)
        print(f"{database_url}: migrating, filling with {tickets} tickets if not yet done", file=sys.stderr)
        workers[label] = start_worker(database_url, tickets=tickets, requesters=requesters)
    for worker in workers.values():
        read_reply(worker)  # ready: migrated and filled
    # Each variant at one size, then at the other, round after round (the order turned each round): the
    # two medians the 1M/100k ratio compares are taken seconds apart, and a burst of load on a shared
    # machine lands on both sizes or is outlived by another round. The lowest median of the rounds is kept.
    results: dict[str, dict[str, list[dict]]] = {label: {} for label in workers}
    for round_number in range(args.rounds):
        print(f"round {round_number + 1} of {args.rounds}", file=sys.stderr)
        for variant, *_ in VARIANTS:
            for label in list(workers)[:: -1 if round_number % 2 else 1]:
                request = {"variant": variant, "runs": args.runs}
                request["explain"] = args.explain and label == "1m" and round_number == 0
                send(workers[label], request)
                results[label].setdefault(variant, []).append(read_reply(workers[label]))
    for worker in workers.values():
        stop(worker)
    small, large = best_of(results["100k"]), best_of(results["1m"])
    if args.explain:
        print_plans(large)
    all_met = print_report(small, large)
    # Not a timing, which a busy machine may spoil, but what the page does: a query more at 1M is a bug.
    differing = [variant for variant in large if large[variant]["queries"] != small[variant]["queries"]]
    if differing:
        print(f"FAILED: the number of queries differs between 100k and 1M for {', '.join(differing)}")
        return 1
    return 1 if args.strict and not all_met else 0


def best_of(rounds_by_variant: dict[str, list[dict]]) -> dict[str, dict]:
    """Per variant, the first round's results with each timing replaced by its lowest over the rounds,
    the largest query count (the counts are the same when all is well) and the plan, if any."""
    best = {}
    for variant, rounds in rounds_by_variant.items():
        best[variant] = {
            **rounds[0],
            "page_ms": min(measured["page_ms"] for measured in rounds),
            "query_ms": min(measured["query_ms"] for measured in rounds),
            "queries": max(measured["queries"] for measured in rounds),
            "plan": next((measured["plan"] for measured in rounds if measured["plan"]), None),
        }
    return best


# The parent: workers and report


def start_worker(database_url: str, *, tickets: int, requesters: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env.pop("DJANGO_DEBUG", None)  # DEBUG would record every query and slow every page
    command = [sys.executable, __file__, "--worker", "--tickets", str(tickets), "--requesters", str(requesters)]
    return subprocess.Popen(  # noqa: S603
        command, env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def send(worker: subprocess.Popen, request: dict) -> None:
    assert worker.stdin is not None  # started with a pipe
    worker.stdin.write(json.dumps(request) + "\n")
    worker.stdin.flush()


def read_reply(worker: subprocess.Popen) -> dict:
    assert worker.stdout is not None  # started with a pipe
    line = worker.stdout.readline()
    if not line:
        raise RuntimeError(f"the worker stopped (exit status {worker.wait()}); its error is above")
    return json.loads(line)


def stop(worker: subprocess.Popen) -> None:
    """Closes the worker's requests (it exits when it reads their end) and waits for it."""
    assert worker.stdin is not None  # started with a pipe
    worker.stdin.close()
    worker.wait()


COLUMNS = (
    ("variant", 17), ("rows", 7), ("queries", 7), ("page@100k", 9), ("page@1M", 9), ("query@100k", 10),
    ("query@1M", 9), ("page-query", 10), ("page/query", 10), ("1M/100k", 7), ("verdict", 8),
)  # fmt: skip


def print_report(small: dict, large: dict) -> bool:
    """Prints the table and the verdict; True when every target is met (and query counts agree)."""
    print_row(name for name, _ in COLUMNS)
    misses = []
    for variant, at_1m in large.items():
        at_100k = small[variant]
        over_query = at_1m["page_ms"] / at_1m["query_ms"]
        over_100k = at_1m["page_ms"] / at_100k["page_ms"]
        same_queries = at_1m["queries"] == at_100k["queries"]
        if variant == EMPTY:
            print_row(
                (
                    variant, "0/0", at_1m["queries"], ms(at_100k["page_ms"]), ms(at_1m["page_ms"]),
                    ms(at_100k["query_ms"]), ms(at_1m["query_ms"]), "-", "-", f"{over_100k:.2f}x", "-",
                )
            )  # fmt: skip
            continue
        problems = [
            *(["page/query"] if over_query > MAX_PAGE_OVER_QUERY else []),
            *(["1M/100k"] if over_100k > MAX_1M_OVER_100K else []),
            *(["queries differ"] if not same_queries else []),
            *(["seq scan"] if at_1m["seq_scan"] else []),
        ]
        if problems:
            misses.append(f"{variant} ({', '.join(problems)})")
        print_row(
            (
                variant,
                f"{at_100k['rows']}/{at_1m['rows']}",
                at_1m["queries"] if same_queries else f"{at_100k['queries']}/{at_1m['queries']}",
                ms(at_100k["page_ms"]),
                ms(at_1m["page_ms"]),
                ms(at_100k["query_ms"]),
                ms(at_1m["query_ms"]),
                ms(at_1m["page_ms"] - at_1m["query_ms"]),
                f"{over_query:.1f}x",
                f"{over_100k:.2f}x",
                "ok" if not problems else "MISSED",
            )
        )
    print(
        "\nrows: rows on the page at 100k/1M; queries: SQL queries per page (the same at both sizes);"
        "\npage: the whole queue page, median; query: its bare query (people look-up for a search, then one"
        " page of the filtered, ordered queryset, materialized);"
        "\npage-query: what the page adds at 1M (request, permissions, filter form, SLA clocks, rendering the rows);"
        f"\n{EMPTY}: the page listing nothing (a day before any ticket): its fixed cost, not held to the targets;"
        f"\nsearches: {', '.join(f'{name} = {text!r}' for name, text in SEARCHES.items())}, and one ticket's reference"
        f"\ntargets: page <= {MAX_PAGE_OVER_QUERY:g}x query at 1M, page@1M <= {MAX_1M_OVER_100K:g}x page@100k,"
        " same query count, no Seq Scan on support_supportticket in the bare query at 1M"
    )
    held = len(large) - 1  # all but EMPTY
    if misses:
        print(f"verdict: MISSED for {len(misses)} of {held}: {'; '.join(misses)}")
        return False
    print(f"verdict: all {held} targets met")
    return True


def print_row(cells) -> None:
    aligned = [
        f"{cell!s:<{width}}" if index == 0 else f"{cell!s:>{width}}"
        for index, (cell, (_, width)) in enumerate(zip(cells, COLUMNS, strict=True))
    ]
    print("  ".join(aligned))


def print_plans(large: dict) -> None:
    for variant, measured in large.items():
        print(f"=== {variant}: {measured['url']}")
        print(measured.get("plan") or "(no plan)")
        print()


# The worker: one database, in its own process


def serve(*, tickets: int, requesters: int) -> None:
    """Migrates and fills the database if need be, says it is ready, then measures each variant asked
    for on stdin (a JSON line each), answering with a JSON line on stdout, until stdin closes."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr  # whatever else is printed must not mix with the replies
    sys.path.insert(0, str(ROOT))
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collected static files: none served
    django.setup()
    from django.core.management import call_command

    from accounts.models import User

    call_command("migrate", verbosity=0, stdout=sys.stderr)
    if not User.objects.filter(email=SUPERVISOR).exists():
        call_command("seed_rbac", verbosity=0, stdout=sys.stderr)
        desk_filled(tickets=tickets, requesters=requesters)
    reference = middle_reference()
    measurements = {}
    for variant, email, params in VARIANTS:
        if params.get("q") == REFERENCE:
            params = {"q": reference}
        measurements[variant] = VariantMeasurement(User.objects.get(email=email), params)
    print(json.dumps({"ready": True}), file=replies, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        measured = measurements[request["variant"]].measured(runs=request["runs"], explain=request["explain"])
        print(json.dumps(measured), file=replies, flush=True)


# Filling a database


def desk_filled(*, tickets: int, requesters: int) -> None:
    """Fills an empty database with the desk: people, roles, agents, tickets and the assignees' grants.

    One transaction: a fill that fails leaves nothing, and the next run starts again.
    """
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in FILLED_TABLES:
            capture_triggers_set(cursor, table=table, enabled=False)
        # Values drawn from a hash of the row number and a salt (one per column): the same data on every fill.
        cursor.execute(
            "CREATE FUNCTION pg_temp.draw(row_number bigint, salt int) RETURNS float8 LANGUAGE sql IMMUTABLE"
            " AS $$ SELECT (hashint8(row_number * 64 + salt) & 16777215) / 16777216.0::float8 $$"
        )
        cursor.execute(
            "CREATE FUNCTION pg_temp.pick(items anyarray, row_number bigint, salt int) RETURNS anyelement"
            " LANGUAGE sql IMMUTABLE"
            " AS $$ SELECT items[1 + floor(pg_temp.draw(row_number, salt) * cardinality(items))::int] $$"
        )
        requester_ids = requesters_added(cursor, requesters)
        agent_ids, wide_id, own_id = agents_added()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows written so far are checked now
        # The bulk rows: foreign keys unchecked (right by construction, as in a restore; this needs a
        # superuser), secondary indexes built once afterwards rather than row by row.
        cursor.execute("SET LOCAL session_replication_role = replica")
        indexes = secondary_indexes_dropped(cursor, BULK_TABLES)
        tickets_added(cursor, tickets, requester_ids=requester_ids, agent_ids=agent_ids, wide_id=wide_id, own_id=own_id)
        assignee_grants_added(cursor)
        cursor.execute("SET LOCAL session_replication_role = origin")
        print(f"{tickets} tickets written in {time.perf_counter() - started:.0f}s", file=sys.stderr)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in indexes:
            cursor.execute(definition)
        for table in FILLED_TABLES:
            capture_triggers_set(cursor, table=table, enabled=True)
    with connection.cursor() as cursor:
        for table in FILLED_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"filled, indexed and analyzed in {time.perf_counter() - started:.0f}s", file=sys.stderr)


def secondary_indexes_dropped(cursor, tables: tuple[str, ...]) -> list[str]:
    """Drops the indexes of ``tables`` that back no constraint; returns the statements that rebuild them."""
    cursor.execute(
        """
        SELECT index.indexrelid::regclass::text, pg_get_indexdef(index.indexrelid)
        FROM pg_index index
        WHERE index.indrelid = ANY(%s::regclass[]) AND NOT index.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = index.indexrelid)
        """,
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in indexes]


def requesters_added(cursor, count: int) -> list[int]:
    """``count`` clients named from the demo's first and last names, and ``RARE_PERSON``; their ids."""
    from backoffice.demo_data.vocabulary import FIRST_NAMES, LAST_NAMES

    cursor.execute(
        """
        INSERT INTO accounts_user (email, full_name, phone, status, is_staff, is_superuser, is_active,
                                   password, created_at, updated_at)
        SELECT lower(f || '.' || l || '.' || i) || '@'
                   || CASE WHEN i %% 50 = 0 THEN %(common)s
                      ELSE pg_temp.pick(%(domains)s::text[], i, 1)
                      END,
               f || ' ' || l, '', 'ACTIVE', false, false, true, '!',
               now() - interval '1500 days' * pg_temp.draw(i, 2), now()
        FROM generate_series(1::bigint, %(count)s) AS i,
             LATERAL (SELECT pg_temp.pick(%(first)s::text[], i, 3) AS f,
                             pg_temp.pick(%(last)s::text[], i, 4) AS l) AS n
        RETURNING id
        """,
        {
            "count": count,
            "common": COMMON_DOMAIN,
            "domains": list(DOMAINS),
            "first": list(FIRST_NAMES),
            "last": list(LAST_NAMES),
        },
    )
    ids = sorted(row[0] for row in cursor.fetchall())
    full_name, email = RARE_PERSON
    cursor.execute(
        "INSERT INTO accounts_user (email, full_name, phone, status, is_staff, is_superuser, is_active, password,"
        " created_at, updated_at) VALUES (%s, %s, '', 'ACTIVE', false, false, true, '!', now(), now()) RETURNING id",
        [email, full_name],
    )
    return [*ids, cursor.fetchone()[0]]


def agents_added() -> tuple[list[int], int, int]:
    """``AGENTS`` agents and the two of "mine" (wide: the role's model-wide view; own: a plain handler),
    and a supervisor with the ADMIN role. Returns (the agents' ids, wide's id, own's id)."""
    from accounts.models import Permission, Role, RolePermission, User, UserRole

    def role(name: str, actions: tuple[str, ...]) -> Role:
        made = Role.objects.create(name=name, description="Benchmark role")
        for action in actions:
            RolePermission.objects.create(
                role=made, permission=Permission.objects.get(resource="support.supportticket", action=action)
            )
        return made

    agent_role = role(AGENT_ROLE, ("view", "change", "handle"))
    handler_role = role(HANDLER_ROLE, ("handle",))

    def staff(email: str, full_name: str, held: Role) -> User:
        user = User.objects.create_user(email=email, full_name=full_name, is_staff=True)
        UserRole.objects.create(user=user, role=held)
        return user

    agents = [
        staff(f"agent{number:02}@desk.bench.example", f"Agent {number:02}", agent_role)
        for number in range(1, AGENTS + 1)
    ]
    wide = staff(AGENT_WIDE, "Wendy Wide", agent_role)
    own = staff(AGENT_OWN, "Oscar Own", handler_role)
    staff(SUPERVISOR, "Sam Supervisor", Role.objects.get(name="ADMIN"))
    return [agent.pk for agent in agents], wide.pk, own.pk


def tickets_added(cursor, count: int, *, requester_ids: list[int], agent_ids: list[int], wide_id: int, own_id: int):
    """``count`` tickets, ids in the order they were opened (the newest last)."""
    from backoffice.demo_data.vocabulary import SENTENCES

    rare_person_id = requester_ids.pop()
    cursor.execute(
        """
        INSERT INTO support_supportticket (
            reference, subject, description, requester_id, assignee_id, status, priority, first_response_at,
            resolved_at, closed_at, created_at, updated_at, first_response_due_at, resolution_due_at,
            waiting_on_client_since, sla_paused_seconds)
        SELECT
            {reference},
            CASE WHEN i %% (%(count)s / %(rare_word)s) = 5 THEN %(rare_subject)s
                 ELSE pg_temp.pick(%(subjects)s::text[], i, 10)
            END || CASE WHEN pg_temp.draw(i, 11) < 0.3 THEN ' (booking #' || (100000 + i * 7919 %% 900000) || ')'
                        ELSE '' END,
            pg_temp.pick(%(sentences)s::text[], i, 12) || ' '
                || pg_temp.pick(%(sentences)s::text[], i, 13),
            CASE WHEN i %% (%(count)s / %(rare_person_tickets)s) = 3
                      AND i / (%(count)s / %(rare_person_tickets)s) < %(rare_person_tickets)s THEN %(rare_person)s
                 ELSE pg_temp.pick(%(requesters)s::bigint[], i, 14)
            END,
            CASE WHEN i %% (%(count)s / %(agent_tickets)s) = 1 THEN %(wide)s
                 WHEN i %% (%(count)s / %(agent_tickets)s) = 2 THEN %(own)s
                 WHEN status = 'OPEN' AND pg_temp.draw(i, 15) < 0.5 THEN NULL
                 ELSE pg_temp.pick(%(agents)s::bigint[], i, 16)
            END,
            status, priority, responded, resolved, closed, created,
            GREATEST(created, responded, resolved, closed, waiting),
            created + make_interval(hours => first_response_hours) * (0.8 + 0.4 * pg_temp.draw(i, 17)),
            created + make_interval(hours => resolution_hours) * (0.8 + 0.4 * pg_temp.draw(i, 18)),
            waiting, 0
        FROM generate_series(1::bigint, %(count)s) AS i
        CROSS JOIN LATERAL (
            SELECT now() - interval '1095 days' * power(1 - (i - 0.5::float8) / %(count)s, 1.4)
                   - interval '1 hour' * pg_temp.draw(i, 20) AS created,
                   -- The newest 15%% are in hand; a few older ones were forgotten.
                   CASE WHEN i > 0.85::float8 * %(count)s THEN
                            CASE WHEN pg_temp.draw(i, 21) < 0.33 THEN 'OPEN'
                                 WHEN pg_temp.draw(i, 21) < 0.66 THEN 'IN_PROGRESS'
                                 WHEN pg_temp.draw(i, 21) < 0.86 THEN 'RESOLVED' ELSE 'CLOSED' END
                        ELSE CASE WHEN pg_temp.draw(i, 21) < 0.0005 THEN 'OPEN'
                                  WHEN pg_temp.draw(i, 21) < 0.001 THEN 'IN_PROGRESS' ELSE 'CLOSED' END
                   END AS status,
                   CASE WHEN pg_temp.draw(i, 22) < 0.30 THEN 'LOW' WHEN pg_temp.draw(i, 22) < 0.75 THEN 'MEDIUM'
                        WHEN pg_temp.draw(i, 22) < 0.95 THEN 'HIGH' ELSE 'URGENT' END AS priority
            -- OFFSET 0 here and below: each value is computed once a row (merged into the outer query,
            -- every use of it would compute it again, and the later ones build on the earlier ones).
            OFFSET 0
        ) AS t
        -- Business-hour targets as wall-clock hours (an 8-hour day: three times as long).
        CROSS JOIN LATERAL (
            SELECT 3 * CASE priority WHEN 'URGENT' THEN 1 WHEN 'HIGH' THEN 4 WHEN 'MEDIUM' THEN 8 ELSE 24 END
                       AS first_response_hours,
                   3 * CASE priority WHEN 'URGENT' THEN 8 WHEN 'HIGH' THEN 24 WHEN 'MEDIUM' THEN 40 ELSE 80 END
                       AS resolution_hours,
                   CASE WHEN status <> 'OPEN'
                        THEN LEAST(now(), created + interval '1 hour' * (0.2 + 30 * pg_temp.draw(i, 23))) END
                       AS responded
            OFFSET 0
        ) AS r
        CROSS JOIN LATERAL (
            SELECT CASE WHEN status IN ('RESOLVED', 'CLOSED')
                        THEN LEAST(now(), responded + interval '1 hour' * (1 + 120 * pg_temp.draw(i, 24))) END
                       AS resolved,
                   CASE WHEN status = 'IN_PROGRESS' AND pg_temp.draw(i, 25) < 0.3
                        THEN LEAST(now(), responded + interval '1 hour' * (1 + 48 * pg_temp.draw(i, 26))) END
                       AS waiting
            OFFSET 0
        ) AS w
        CROSS JOIN LATERAL (
            SELECT CASE WHEN status = 'CLOSED'
                        THEN LEAST(now(), resolved + interval '1 hour' * (24 + 144 * pg_temp.draw(i, 27))) END
                       AS closed
            OFFSET 0
        ) AS c
        -- A bijection of the row number onto 40 bits (an odd multiplier modulo 2**40, then a xorshift):
        -- unique references, in no visible order.
        CROSS JOIN LATERAL (SELECT (i * 1103515245 + 12345) & 1099511627775 AS mixed OFFSET 0) AS m
        CROSS JOIN LATERAL (SELECT mixed # (mixed >> 20) AS bits) AS b
        """.replace("{reference}", REFERENCE_SQL),
        {
            "count": count,
            "rare_word": RARE_WORD_TICKETS,
            "rare_subject": RARE_SUBJECT,
            "subjects": list(SUBJECTS),
            "sentences": list(SENTENCES),
            "rare_person_tickets": RARE_PERSON_TICKETS,
            "rare_person": rare_person_id,
            "requesters": requester_ids,
            "agent_tickets": AGENT_TICKETS,
            "wide": wide_id,
            "own": own_id,
            "agents": agent_ids,
        },
    )


def assignee_grants_added(cursor) -> None:
    """View and change on each assigned ticket for its assignee, as ``support.services`` keeps them."""
    cursor.execute(
        """
        INSERT INTO support_supportticketuserobjectpermission (user_id, permission_id, content_object_id)
        SELECT ticket.assignee_id, permission.id, ticket.id
        FROM support_supportticket ticket
        CROSS JOIN (SELECT p.id FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
                    WHERE ct.app_label = 'support' AND ct.model = 'supportticket'
                      AND p.codename IN ('view_supportticket', 'change_supportticket')) permission
        WHERE ticket.assignee_id IS NOT NULL
        """
    )


def middle_reference() -> str:
    """The reference of the ticket half-way through the table (the exact-reference search)."""
    from support.models import SupportTicket

    ids = SupportTicket.objects.order_by("pk").values_list("pk", flat=True)
    middle = ids[SupportTicket.objects.count() // 2]
    return SupportTicket.objects.values_list("reference", flat=True).get(pk=middle)


# Measuring a variant


class VariantMeasurement:
    """One variant of the queue for one user: its page, signed in, and its bare queries, built once."""

    def __init__(self, user, params: dict) -> None:
        from django.test import Client
        from django.urls import reverse

        self.url = f"{reverse('support:queue')}?{urlencode(params)}" if params else reverse("support:queue")
        self.client = Client()
        self.client.force_login(user)
        self.rows = self.open_page()  # also caches the user's role-based permissions
        self.people, self.page = bare_queries(user, self.url)
        bare_rows = len(self.page.all())
        if self.rows != min(bare_rows, PAGE_ROWS):
            raise RuntimeError(f"{self.url}: the page shows {self.rows} rows, its bare query finds {bare_rows}")

    def measured(self, *, runs: int, explain: bool) -> dict:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        # The fewest of a few: a session stamped as seen (once a minute) or the holidays read again (once
        # a minute) adds a query now and then, which is not the page's own.
        counts = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                self.open_page()
            counts.append(len(queries))
        return {
            "url": self.url,
            "rows": self.rows,
            "queries": min(counts),
            **medians_interleaved({"page_ms": self.open_page, "query_ms": self.run_bare_query}, runs=runs),
            "seq_scan": SEQ_SCAN in plan_of(self.page, analyze=False),
            "plan": plan_of(self.page, analyze=True) if explain else None,
        }

    def open_page(self) -> int:
        """Gets the page; the number of ticket rows on it."""
        response = self.client.get(self.url)
        if response.status_code != 200:
            raise RuntimeError(f"{self.url} answered {response.status_code}")
        return response.content.count(b'<tr class="sla-row-')

    def run_bare_query(self) -> None:
        if self.people is not None:
            list(self.people.all())
        list(self.page.all())


def medians_interleaved(operations: dict, *, runs: int) -> dict[str, float]:
    """Milliseconds each operation takes, the median of ``runs`` after ``WARM_UP_RUNS``, the operations
    taking turns run by run: a change of load on a shared machine then shifts the page and its bare
    query alike, not whichever was being measured at the time."""
    for _ in range(WARM_UP_RUNS):
        for operation in operations.values():
            operation()
    timings: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(runs):
        for name, operation in operations.items():
            started = time.perf_counter()
            operation()
            timings[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def bare_queries(user, url: str):
    """(the people look-up of a search or None, one page of the queue's queryset), as the view builds
    them for ``user`` at ``url``: unevaluated querysets, each run afresh with ``.all()``."""
    from django.test import RequestFactory

    from accounts.selectors import users_matching
    from core.filters import filter_data
    from support import filters, selectors

    request = RequestFactory().get(url)
    request.user = user
    filterset = filters.TicketFilter(
        filter_data(request), queryset=selectors.tickets_visible_to(user=user), request=request
    )
    order = request.GET.get("order", "newest")
    column, descending = selectors.QUEUE_ORDERS[order]
    ordering = [f"-{column}", "-id"] if descending else [column, "id"]
    page = selectors.queue_rows(filterset.qs, order=order).order_by(*ordering)[: PAGE_ROWS + 1]
    text = request.GET.get("q", "").strip()
    people = None
    if text and not filters.REFERENCE.match(text.upper()):
        people = users_matching(text).values_list("pk", flat=True)[: filters.FEW_PEOPLE + 1]
    return people, page


def plan_of(queryset, *, analyze: bool) -> str:
    from django.db import connection

    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    options = "ANALYZE, BUFFERS" if analyze else "COSTS"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


if __name__ == "__main__":
    sys.exit(main())
