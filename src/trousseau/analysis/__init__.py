"""Analysis: culling signals, bursts, moments, and (opt-in per wedding) faces and persons.

Vocabulary:

quality     per photo, from a reduced image (a variant, never the original decoded again):
            sharpness, motion blur, exposure (clipped highlights and shadows, mean
            luminance), noise, and one `keep_score` in 0..1 with the reasons behind it
burst       photos taken together that look alike (capture times close, perceptual hashes
            close); its pick is the member with the best keep_score
moment      a stretch of the day between long pauses (or shorter ones where the scene
            changes), with a representative photo
verdict     what culling says of a photo: keep, reject (with reasons), duplicate (of its
            burst's pick), unreadable (why), or pending (not measured yet)
face        a box in a photo, its detector score, its embedding (a unit 128-d vector:
            the cosine of two is their likeness) and, when large enough, its sharpness
subject     a photo's sharpest scored face: under SOFT_SUBJECT its faces are out of focus,
            which lowers the photo's keep_score
person      the faces of one guest in one wedding, grown batch by batch as photos arrive;
            named by someone, or forgotten with its embeddings
find-me     a selfie's face against every face of a wedding: its photos, most alike first

Pure cores: quality, bursts, moments, culling, persons. `faces` runs the models (`models`
pins them); `signals` (culling) and `scan` (faces) are the I/O shells over the catalog and
the vault.
"""

from trousseau.analysis.bursts import Burst, Shot, group_bursts, perceptual_hash
from trousseau.analysis.culling import REJECT_BELOW, Culling, Judged, Verdict, cull, report
from trousseau.analysis.faces import Cascade, Face, FaceAnalyser, shared_analyser
from trousseau.analysis.models import DETECTOR, RECOGNISER, ModelFile, model_path
from trousseau.analysis.moments import Moment, day_moments
from trousseau.analysis.persons import (
    DEFAULT_THRESHOLD,
    Assignment,
    Known,
    assign,
    cluster,
    find_me,
    pairwise_scores,
)
from trousseau.analysis.quality import Quality, measure
from trousseau.analysis.scan import Match, ScanReport, find_person, require_faces, scan_faces
from trousseau.analysis.signals import SOURCE_LONGEST, culling_of, measure_photo, source_variant

__all__ = [
    "DEFAULT_THRESHOLD",
    "DETECTOR",
    "RECOGNISER",
    "REJECT_BELOW",
    "SOURCE_LONGEST",
    "Assignment",
    "Burst",
    "Cascade",
    "Culling",
    "Face",
    "FaceAnalyser",
    "Judged",
    "Known",
    "Match",
    "ModelFile",
    "Moment",
    "Quality",
    "ScanReport",
    "Shot",
    "Verdict",
    "assign",
    "cluster",
    "cull",
    "culling_of",
    "day_moments",
    "find_me",
    "find_person",
    "group_bursts",
    "measure",
    "measure_photo",
    "model_path",
    "pairwise_scores",
    "perceptual_hash",
    "report",
    "require_faces",
    "scan_faces",
    "shared_analyser",
    "source_variant",
]
