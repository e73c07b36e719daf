"""A hypothesis strategy of read documents over the schema: root fields, random subsets of
fields under aliases, named and inline fragments, `@include`/`@skip`, `__typename`, arguments
(filters, search, sort, both paging modes) as literals or variables. Each document comes with
whether the compiled path should answer it (the rest fall back to the resolvers)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.compiled_support import DataSet

BATCH_SCALARS = [
    "id",
    "name",
    "status",
    "campaignId",
    "campaignName",
    "agentMappingId",
    "agentName",
    "fromNumber",
    "totalContacts",
    "pending",
    "queued",
    "inProgress",
    "completed",
    "failed",
    "skipped",
    "callsPicked",
    "progressPercentage",
    "remainingCount",
    "callsPerMinute",
    "maxConcurrent",
    "scheduledFor",
    "createdAt",
    "startedAt",
    "updatedAt",
    "__typename",
]
CONTACT_SCALARS = [
    "id",
    "phoneNumber",
    "firstName",
    "lastName",
    "name",
    "email",
    "company",
    "title",
    "accountId",
    "priority",
    "status",
    "callId",
    "attempts",
    "maxAttempts",
    "outcome",
    "durationSeconds",
    "outcomeNotes",
    "lastAttemptAt",
    "completedAt",
    "customData",
    "doNotCall",
    "timezone",
    "createdAt",
    "__typename",
]
LOG_SCALARS = [
    "id",
    "callStatus",
    "durationSeconds",
    "recordingUrl",
    "transcript",
    "createdAt",
    "__typename",
]
PAGE_INFO = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"]
PAGINATION = ["total", "page", "limit", "offset", "totalPages", "hasMore", "__typename"]
SORT_FIELDS = [
    "CREATED_AT",
    "NAME",
    "PHONE_NUMBER",
    "STATUS",
    "PRIORITY",
    "ATTEMPTS",
    "LAST_ATTEMPT_AT",
    "COMPLETED_AT",
    "DURATION_SECONDS",
]


contact_filters = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["COMPLETED", "PENDING", "FAILED"]).map(lambda n: Enum(n)),
        "statusIn": st.lists(
            st.sampled_from(["COMPLETED", "PENDING", "SKIPPED"]).map(lambda n: Enum(n)),
            max_size=2,
        ),
        "outcome": st.sampled_from(["answered", "busy", "none"]),
        "priority": st.sampled_from(["high", "low"]),
        "doNotCall": st.booleans(),
        "callStatus": st.sampled_from(["completed", "busy", "no-answer"]),
    },
)


@dataclass
class Document:
    """A document being written: its variables, fragments, and whether it stays covered."""

    variables: dict[str, Any] = field(default_factory=dict)
    definitions: list[str] = field(default_factory=list)
    fragments: list[str] = field(default_factory=list)
    covered: bool = True
    aliases: int = 0

    def alias(self) -> str:
        """A response name used nowhere else in the document (no two fields can conflict)."""
        self.aliases += 1
        return f"a{self.aliases}"

    def variable(self, type_: str, value: Any) -> str:
        name = f"v{len(self.variables)}"
        self.variables[name] = value
        self.definitions.append(f"${name}: {type_}")
        return f"${name}"

    def text(self, root: str) -> str:
        head = f"query Generated({', '.join(self.definitions)})" if self.definitions else "query"
        return "\n".join([f"{head} {{ {root} }}", *self.fragments])


def _literal(value: Any) -> str:
    """A GraphQL literal of a JSON-like value (enum names as given in `Enum`)."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, dict):
        return "{" + " ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + " ".join(_literal(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


@dataclass(frozen=True)
class Enum:
    name: str


def _plain(value: Any) -> Any:
    """The variable value of an argument (enums as their names)."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Writer:
    """Writes selections with the draws of one example."""

    def __init__(self, draw: Any, document: Document, bad_cursors: bool) -> None:
        self.draw = draw
        self.doc = document
        self.bad_cursors = bad_cursors
        """Whether a list may be given a forged cursor. Only in a document of one root field:
        when a non-null list fails, graphql-core cancels its siblings' pending statements, and
        asyncpg's cancellation invalidates the connection, which the tests' rolled-back
        transaction cannot survive (a server just discards that connection)."""

    def arguments(self, arguments: dict[str, tuple[str, Any]]) -> str:
        """`(name: value …)`, each value a literal or a variable; None values left out."""
        written = []
        for name, (type_, value) in arguments.items():
            if value is None and self.draw(st.booleans()):
                continue
            if self.draw(st.booleans()):
                written.append(f"{name}: {self.doc.variable(type_, _plain(value))}")
            else:
                written.append(f"{name}: {_literal(value)}")
        return f"({', '.join(written)})" if written else ""

    def selection(self, type_name: str, fields: list[str]) -> str:
        """`fields` (already written), some aliased, regrouped into fragments, with directives."""
        parts: list[str] = []
        for written in fields:
            if self.draw(st.integers(0, 5)) == 0:
                written = f"{self.doc.alias()}: {written}"
            directive = self.draw(st.sampled_from(["", "", "", "skip-false", "include-var"]))
            if directive == "skip-false":
                written = _with_directive(written, "@skip(if: false)")
            elif directive == "include-var":
                # An object field (it may carry what the compiled path leaves to the
                # resolvers) is never left out, so whether the document is covered stays known.
                include = "{" in written or self.draw(st.booleans())
                written = _with_directive(
                    written, f"@include(if: {self.doc.variable('Boolean!', include)})"
                )
            parts.append(written)
        grouping = self.draw(st.sampled_from(["plain", "inline", "named"]))
        if grouping == "inline":
            return f"... on {type_name} {{ {' '.join(parts)} }}"
        if grouping == "named":
            name = f"F{len(self.doc.fragments)}"
            self.doc.fragments.append(f"fragment {name} on {type_name} {{ {' '.join(parts)} }}")
            return f"...{name}"
        return " ".join(parts)

    def scalars(self, names: list[str]) -> list[str]:
        drawn: list[str] = self.draw(
            st.lists(st.sampled_from(names), min_size=1, max_size=6, unique=True)
        )
        return drawn

    def connection(self, type_name: str, write_node: Callable[[], str]) -> str:
        """A connection's selection; the node's selection is written only if it is used (an
        unused fragment or variable would make the document invalid)."""
        written_node: list[str] = []

        def node_text() -> str:
            if not written_node:
                written_node.append(write_node())
            return written_node[0]

        parts = self.draw(
            st.lists(
                st.sampled_from(["totalCount", "nodes", "edges", "pageInfo", "pagination"]),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
        fields = []
        for part in parts:
            if part == "nodes":
                fields.append(f"nodes {{ {node_text()} }}")
            elif part == "edges":
                edge = self.draw(
                    st.lists(
                        st.sampled_from(["cursor", "node", "__typename"]), min_size=1, unique=True
                    )
                )
                inner = " ".join(f"node {{ {node_text()} }}" if e == "node" else e for e in edge)
                fields.append(f"edges {{ {inner} }}")
            elif part == "pageInfo":
                fields.append(f"pageInfo {{ {' '.join(self.scalars(PAGE_INFO))} }}")
            elif part == "pagination":
                fields.append(f"pagination {{ {' '.join(self.scalars(PAGINATION))} }}")
            else:
                fields.append(part)
        return self.selection(f"{type_name}Connection", fields)

    def paging(self, maximum: int) -> dict[str, tuple[str, Any]]:
        modes = ["none", "page", "offset", "cursor"]
        mode = self.draw(st.sampled_from([*modes, "bad cursor"] if self.bad_cursors else modes))
        limit = self.draw(st.one_of(st.none(), st.integers(1, maximum)))
        if mode == "page":
            return {"page": ("Int", self.draw(st.integers(1, 4))), "limit": ("Int", limit)}
        if mode == "offset":
            return {"offset": ("Int", self.draw(st.integers(0, 9))), "limit": ("Int", limit)}
        if mode == "cursor":
            return {"first": ("Int", limit)}
        if mode == "bad cursor":
            self.doc.covered = False
            return {"first": ("Int", limit), "after": ("String", "bm90LmEuY3Vyc29y.c2ln")}
        return {}

    def contacts(self) -> str:
        fields = self.scalars(CONTACT_SCALARS)
        if self.draw(st.booleans()):
            fields.append(f"callLogs {{ {' '.join(self.scalars(LOG_SCALARS))} }}")

        def node() -> str:
            return self.selection("Contact", fields)

        sort = self.draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "field": st.sampled_from(SORT_FIELDS).map(Enum),
                        "direction": st.sampled_from(["ASC", "DESC"]).map(Enum),
                    }
                ),
                max_size=2,
                unique_by=lambda item: item["field"],
            )
        )
        arguments: dict[str, tuple[str, Any]] = {"sort": ("[ContactSort!]", sort or None)}
        if self.draw(st.integers(0, 3)) == 0:
            arguments["filter"] = ("ContactFilter", self.draw(contact_filters))
        if self.draw(st.integers(0, 3)) == 0:
            search = self.draw(st.sampled_from(["ann", "%", "é", "ACME_", "gold", "zzz"]))
            arguments["search"] = ("String", search)
        arguments |= self.paging(5)
        return f"contacts{self.arguments(arguments)} {{ {self.connection('Contact', node)} }}"

    def batch_fields(self, with_contacts: bool) -> str:
        fields = self.scalars(BATCH_SCALARS)
        if with_contacts:
            fields.append(self.contacts())
        return self.selection("Batch", fields)


@st.composite
def read_documents(draw: Any, data: DataSet) -> tuple[str, dict[str, Any], bool]:
    """(document, variables, whether the compiled path should answer it)."""
    doc = Document()
    roots = draw(
        st.lists(
            st.sampled_from(["batches", "batch", "__typename"]), min_size=1, max_size=2, unique=True
        )
    )
    writer = Writer(draw, doc, bad_cursors=len(roots) == 1)
    written = []
    for root in roots:
        if root == "batches":
            nested = draw(st.integers(0, 5)) == 0

            def node(nested: bool = nested) -> str:
                if nested:
                    doc.covered = False  # contacts below the batch list
                return writer.batch_fields(with_contacts=nested)

            status = draw(
                st.one_of(st.none(), st.sampled_from(["PROCESSING", "PAUSED", "PENDING"]).map(Enum))
            )
            arguments: dict[str, tuple[str, Any]] = {
                "search": (
                    "String",
                    draw(st.sampled_from([None, "a", "ALPHA", "_", "%", "paus", " "])),
                ),
                "status": ("BatchStatus", status),
                "campaignId": ("ID", draw(st.sampled_from([None, str(data.campaign_id)]))),
                **writer.paging(5),
            }
            written.append(
                f"batches{writer.arguments(arguments)} {{ {writer.connection('Batch', node)} }}"
            )
        elif root == "batch":
            visible = [str(b) for b in data.batch_ids[:3]]
            hidden = [
                str(data.deleted_batch_id),
                str(data.other_agency_batch_id),
                str(uuid.uuid4()),
            ]
            batch_id = draw(st.sampled_from(visible + visible + hidden))
            if batch_id in hidden:
                doc.covered = False  # NOT_FOUND
            fields = writer.batch_fields(with_contacts=draw(st.booleans()))
            written.append(f"batch(id: {writer.doc.variable('ID!', batch_id)}) {{ {fields} }}")
        else:
            written.append("__typename")
    return doc.text(" ".join(written)), doc.variables, doc.covered


def _with_directive(written: str, directive: str) -> str:
    """`name(args) { … }` → `name(args) @directive { … }`: before the field's selection set,
    the first brace outside its arguments (which may hold braces of their own)."""
    depth = 0
    for position, char in enumerate(written):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "{" and depth == 0:
            return f"{written[:position]}{directive} {written[position:]}"
    return f"{written} {directive}"
