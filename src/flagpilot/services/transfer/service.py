"""Export every flag, setting, override and rollout as one JSON document, and import it back.

An import is all or nothing: the whole document is read and checked first (types, values,
references to flags and environments in the document or the database, duplicates), and only
then written, in one transaction, with an audit row per flag and one for the import. Flags in
the document replace their stored definition, settings and overrides; other flags are untouched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flagpilot.core import FlagDefinition, FlagType, Problem, check_value
from flagpilot.services.audit_entry import AuditEntry, require_actor
from flagpilot.services.audit_payloads import flag_payload, import_payload
from flagpilot.services.contention import retry_on_contention
from flagpilot.services.errors import InvalidInput
from flagpilot.services.flags.checks import ENVIRONMENT_NAME
from flagpilot.services.flags.units import READER
from flagpilot.services.ports import UnitOfWork, UnitOfWorkFactory
from flagpilot.services.stored_records import FlagSetting, OverrideRecord, OverrideScope
from flagpilot.services.transfer.document import Contents, read_document, write_document

PAGE = 10_000
MAX_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import wrote (or, for a dry run, would write)."""

    environments: int
    flags: int
    customer_overrides: int
    organization_overrides: int
    rollouts: int
    dry_run: bool = False


def _all_overrides(uow: UnitOfWork, scope: OverrideScope) -> Iterator[OverrideRecord]:
    after = None
    while page := uow.overrides.page(scope, after=after, limit=PAGE):
        yield from page
        last = page[-1]
        after = (last.flag_key, last.environment, last.subject_id)


def export_document(uow_factory: UnitOfWorkFactory) -> dict[str, Any]:
    """Everything about flags in the database, as one JSON-ready document (read consistently)."""
    with uow_factory(READER, read_only=True) as uow:
        environments = uow.environments.list()
        contents = Contents(
            environments=environments,
            flags=uow.flags.list(include_archived=True),
            settings=[
                setting
                for env in environments
                for setting in uow.environments.settings_in(env.name).values()
                if setting.killed or setting.has_value
            ],
            overrides=[o for scope in OverrideScope for o in _all_overrides(uow, scope)],
            rollouts=sorted(uow.rollouts.list(), key=lambda r: (r.feature_name, r.environment)),
        )
    contents.settings.sort(key=lambda s: (s.flag_key, s.environment))
    return write_document(contents)


def _cross_problems(uow: UnitOfWork, contents: Contents) -> list[Problem]:
    """Problems between the document's parts and the database: references, duplicates, values."""
    problems: list[Problem] = []
    environments = {e.name for e in uow.environments.list()}
    for env in contents.environments:
        if not ENVIRONMENT_NAME.match(env.name):
            problems.append(Problem(env.name, "name", f"must match {ENVIRONMENT_NAME.pattern}"))
        environments.add(env.name)
    definitions: dict[str, FlagDefinition] = {r.key: r.definition for r in uow.flags.list()}
    seen: set[str] = set()
    for record in contents.flags:
        if record.key in seen:
            problems.append(Problem(record.key, "key", "appears twice in the document"))
        seen.add(record.key)
        definitions[record.key] = record.definition
    for record in contents.flags:
        problems += [
            Problem(record.key, "prerequisites", f"unknown flag {required!r}")
            for required in record.definition.prerequisites
            if required not in definitions
        ]
    problems += [
        Problem(s.flag_key, f"environments.{s.environment}", "unknown environment")
        for s in contents.settings
        if s.environment not in environments
    ]
    keys: set[tuple[OverrideScope, str, str, str]] = set()
    for o in contents.overrides:
        item = f"{o.scope.value} override {o.subject_id!r}"
        definition = definitions.get(o.flag_key)
        if definition is None:
            problems.append(Problem(item, "flag", f"unknown flag {o.flag_key!r}"))
        else:
            problems += check_value(definition, f"{o.scope.value}Overrides[{o.subject_id}]", o.value)
        if o.environment not in environments:
            problems.append(Problem(item, "environment", f"unknown environment {o.environment!r}"))
        if not o.subject_id.strip():
            problems.append(Problem(item, "subjectId", "must not be empty"))
        key = (o.scope, o.flag_key, o.environment, o.subject_id)
        if key in keys:
            problems.append(
                Problem(item, "subjectId", f"overridden twice for {o.flag_key!r} in {o.environment!r}")
            )
        keys.add(key)
    for r in contents.rollouts:
        item = f"rollout of {r.feature_name!r} in {r.environment!r}"
        definition = definitions.get(r.feature_name)
        if definition is None:
            problems.append(Problem(item, "featureName", "unknown flag"))
        elif definition.type is not FlagType.BOOL:
            problems.append(Problem(item, "featureName", "only boolean flags can be rolled out"))
        if r.environment not in environments:
            problems.append(Problem(item, "environment", "unknown environment"))
    return problems


def _write(uow: UnitOfWork, contents: Contents) -> None:
    existing_environments = {e.name for e in uow.environments.list()}
    for env in contents.environments:
        if env.name not in existing_environments:
            uow.environments.add(env)
    environments = [e.name for e in uow.environments.list()]
    for record in contents.flags:
        before = uow.flags.get(record.key)
        if before is None:
            uow.flags.add(record.definition)
        if before is not None or record.archived:
            uow.flags.save(record.definition, archived=record.archived, expected_version=None)
        uow.audit.record(
            AuditEntry(
                action="flag.import",
                scope="flag",
                feature_name=record.key,
                before=None if before is None else flag_payload(before),
                after=flag_payload(record),
            )
        )
        settings = {s.environment: s for s in contents.settings if s.flag_key == record.key}
        for name in environments:
            uow.environments.put_setting(settings.get(name, FlagSetting(record.key, name)))
            for scope in OverrideScope:
                uow.overrides.delete_many(scope, record.key, name, None)
    groups: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(dict)
    for o in contents.overrides:
        groups[(o.scope, o.flag_key, o.environment, o.reason, o.created_by, o.organization_id)][
            o.subject_id
        ] = o.value
    for (scope, flag_key, env, reason, created_by, organization_id), values in groups.items():
        uow.overrides.put_many(
            scope,
            flag_key,
            env,
            values,
            reason=reason,
            organization_id=organization_id,
            created_by=created_by,
        )
    for rollout in contents.rollouts:
        uow.rollouts.put(rollout)


@retry_on_contention
def import_document(
    uow_factory: UnitOfWorkFactory, document: Any, *, actor: str, dry_run: bool = False
) -> ImportReport:
    """Check `document` completely, then write it in one transaction (unless `dry_run`).

    Raises:
        InvalidInput: listing every problem (at most 50), naming the flag or item and the field;
            nothing is written.
    """
    contents, problems = read_document(document)
    with uow_factory(require_actor(actor)) as uow:
        problems += _cross_problems(uow, contents)
        if problems:
            shown = problems[:MAX_PROBLEMS]
            more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
            raise InvalidInput("; ".join(str(p) for p in shown) + more, shown)
        report = ImportReport(
            environments=len(contents.environments),
            flags=len(contents.flags),
            customer_overrides=sum(o.scope is OverrideScope.CUSTOMER for o in contents.overrides),
            organization_overrides=sum(o.scope is OverrideScope.ORGANIZATION for o in contents.overrides),
            rollouts=len(contents.rollouts),
            dry_run=dry_run,
        )
        if dry_run:
            return report
        _write(uow, contents)
        uow.audit.record(AuditEntry(action="import", scope="flag", after=import_payload(report)))
        uow.commit()
    return report
