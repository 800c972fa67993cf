"""generate_sample: write the nine departmental source files and their defect manifest."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .agri import agri_rows
from .assistance import assistance_rows
from .county import COUNTY_CODE
from .custody import CustodyPlan, custody_rows
from .defects import DefectNote
from .entities import MarketEntities
from .errors import InvalidSampleOptionError
from .grid_events import grid_event_rows
from .hazards import hazard_rows
from .housing import housing_rows
from .insurance import social_insurance_rows
from .manifest import MANIFEST_FILE, Defect, Manifest, SourceFile, sort_defects
from .people import id_capacity
from .pools import build_pools
from .population import Population
from .sources import LAYOUTS, SOURCE_IDS, SourceLayout
from .writers import Cell, file_sha256, open_sink

log = logging.getLogger(__name__)

MIN_SCALE: Final = 100
PROGRESS_EVERY: Final = 100_000

Batch = tuple[Sequence[Sequence[Cell]], list[tuple[int, DefectNote]]]
Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class SourceSizes:
    """Row counts (or row targets) of the sources that do not iterate residents one by one."""

    market_entity: int
    housing: int
    grid_event: int
    hazard_enterprise: int
    agri_operator: int
    assistance_payment_target: int

    @classmethod
    def for_scale(cls, scale: int) -> SourceSizes:
        """Grow every source linearly with the population, with floors for small scales."""
        return cls(
            market_entity=max(200, scale // 10),
            housing=max(100, scale * 2 // 5),
            grid_event=max(100, scale // 5),
            hazard_enterprise=max(40, scale // 200),
            agri_operator=max(40, scale // 50),
            assistance_payment_target=max(150, scale * 3 // 10),
        )


def _validate(scale: int, seed: int, sources: Sequence[str] | None) -> tuple[str, ...]:
    """Check the options up front and return the sources to write, in canonical order."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < MIN_SCALE:
        raise InvalidSampleOptionError(
            f"scale must be an integer of at least {MIN_SCALE}, got {scale!r}; "
            f"pass --scale {MIN_SCALE} or more."
        )
    if scale > id_capacity():
        raise InvalidSampleOptionError(
            f"scale {scale} exceeds the {id_capacity()} distinct resident IDs available; "
            "pass a smaller --scale."
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidSampleOptionError(
            f"seed must be an integer, got {seed!r}; pass --seed with a whole number."
        )
    if sources is None:
        return SOURCE_IDS
    requested = {sources} if isinstance(sources, str) else set(sources)
    unknown = sorted(requested - set(SOURCE_IDS))
    if unknown or not requested:
        raise InvalidSampleOptionError(
            f"Unknown source {', '.join(map(repr, unknown)) or '(none given)'}. "
            f"Valid sources: {', '.join(SOURCE_IDS)}."
        )
    return tuple(source for source in SOURCE_IDS if source in requested)


def _write_source(
    out_dir: Path, layout: SourceLayout, batches: Iterable[Batch], progress: Progress | None
) -> tuple[SourceFile, list[Defect]]:
    """Stream one source's batches into its file and turn defect notes into manifest rows."""
    path = out_dir / layout.file
    defects: list[Defect] = []
    started = time.perf_counter()
    reported = 0
    with open_sink(path, layout.format, layout.encoding, layout.columns) as sink:
        for rows, notes in batches:
            first = sink.rows
            sink.write_rows(rows)
            for position, note in notes:
                key = layout.key_of(rows[position])
                defects.append(
                    Defect(
                        layout.id,
                        first + position + 1,
                        key,
                        note.column,
                        note.kind,
                        note.detail,
                        note.expected,
                    )
                )
            if progress is not None and sink.rows // PROGRESS_EVERY > reported:
                reported = sink.rows // PROGRESS_EVERY
                progress(layout.id, sink.rows)
        written = sink.rows
    if progress is not None:
        progress(layout.id, written)
    log.info(
        "wrote %s: %s rows, %s defects in %.1fs",
        layout.file,
        written,
        len(defects),
        time.perf_counter() - started,
    )
    return SourceFile(layout.file, layout.format, layout.encoding, written, file_sha256(path)), defects


def _population_batches(population: Population) -> Iterator[Batch]:
    """Yield the population file block by block."""
    for block in range(population.block_count):
        built = population.build(block)
        yield built.rows, built.notes


def generator_fingerprint() -> str:
    """A short hash of this package's code: a cached sample is current only if it matches (benchmarks)."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()[:12]


def generate_sample(
    out_dir: Path,
    *,
    scale: int = 2000,
    seed: int = 20260101,
    sources: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Manifest:
    """Write departmental sample sources with injected defects into out_dir and return their manifest."""
    wanted = _validate(scale, seed, sources)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = SourceSizes.for_scale(scale)
    population = Population(seed, scale, build_pools(seed))
    entities = MarketEntities(seed, sizes.market_entity, population)
    custody = CustodyPlan(population)
    producers: dict[str, Callable[[], Iterable[Batch]]] = {
        "population": lambda: _population_batches(population),
        "market_entity": entities.rows,
        "social_insurance": lambda: social_insurance_rows(entities),
        "assistance_payment": lambda: assistance_rows(population, sizes.assistance_payment_target, custody),
        "housing": lambda: housing_rows(population, sizes.housing),
        "grid_event": lambda: grid_event_rows(seed, population.factory, sizes.grid_event),
        "hazard_enterprise": lambda: hazard_rows(entities, sizes.hazard_enterprise),
        "agri_operator": lambda: agri_rows(entities, sizes.agri_operator),
        "custody": lambda: custody_rows(custody),
    }
    files: dict[str, SourceFile] = {}
    defects: list[Defect] = []
    for source in wanted:
        files[source], found = _write_source(out_dir, LAYOUTS[source], producers[source](), progress)
        defects.extend(found)
    manifest = Manifest(
        seed=seed, scale=scale, county_code=COUNTY_CODE, sources=files, defects=sort_defects(defects)
    )
    manifest.write(out_dir / MANIFEST_FILE)
    log.info("sample of scale %s (seed %s) written to %s with %s defects", scale, seed, out_dir, len(defects))
    return manifest
