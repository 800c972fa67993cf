"""lakehub.sample_data: deterministic departmental sample sources with injected defects and a manifest."""

from lakehub.quality_rules.cn_codes import (
    id15_to_id18,
    is_valid_resident_id,
    is_valid_uscc,
    make_resident_id,
    make_uscc,
)

from .defects import DEFECT_KINDS
from .errors import InvalidSampleOptionError, SampleDataError
from .generator import MIN_SCALE, generate_sample, generator_fingerprint
from .manifest import MANIFEST_FILE, Defect, Manifest, SourceFile, read_manifest
from .sources import LAYOUTS, SOURCE_IDS, SourceLayout

__all__ = [
    "DEFECT_KINDS",
    "LAYOUTS",
    "MANIFEST_FILE",
    "MIN_SCALE",
    "SOURCE_IDS",
    "Defect",
    "InvalidSampleOptionError",
    "Manifest",
    "SampleDataError",
    "SourceFile",
    "SourceLayout",
    "generate_sample",
    "generator_fingerprint",
    "id15_to_id18",
    "is_valid_resident_id",
    "is_valid_uscc",
    "make_resident_id",
    "make_uscc",
    "read_manifest",
]
