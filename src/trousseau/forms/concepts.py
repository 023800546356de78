"""The wedding schema: what a form's field stands for, from its label, its type and its context.

Pure: plain values in, plain values out. Each `Concept` is documented (a key, the field types
that agree with it, a description) with the words people print for it, in English and the
commonest French, Spanish and German. `map_concept(label, field_type, context)` scores every
concept against a label:

- both are normalised into tokens: lower case, accents and punctuation dropped, `e-mail` is
  `email`, `#`/`no.` is `number`, a plural `s` and a possessive `'s` dropped, and small words
  (of, the, your, de, la, der, …) left out;
- a synonym scores the Dice overlap of its tokens with the label's (1.0 when equal), or
  0.9 when all its two or more tokens are in a longer label (a sentence that names it), 0.75
  for a one-word synonym inside a label of up to four words;
- a label that is only generic words ("Name", "Date", "Phone", "First name") is weak alone
  (its score times 0.8) and is read again with each `context` string beside it (the section
  heading above it, "Bride" or "Partner 2"; the signature line it is dated beside), scored
  by Dice against the synonyms that name words of both: "Bride" + "Name" is the bride's
  name, "Wedding date" + "Name" is nothing;
- the field type agrees (+0.05, at most 1.0), is neutral (plain text), or disagrees (times
  0.6: a checkbox is no wedding date).

The best concept wins when it scores at least `THRESHOLD` and leads the next concept by
`MARGIN`; otherwise the field is left unmapped (None): "Partner name" names neither partner
1 nor 2, so it abstains rather than guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from trousseau.forms.model import Field, FieldType, Rect

THRESHOLD = 0.6
"""Lowest score a concept needs to be given to a field. 0.6 accepts a two-word synonym of
which the label says one word and one other ("date" for "wedding date" is 0.67 alone, but
0.53 once weakened as generic), and refuses labels that share one word in four."""

MARGIN = 0.08
"""How far the best concept must lead the second: closer than this, the label is ambiguous
(two concepts fit it as well) and the field is left unmapped."""

_T = FieldType
_TEXTS = frozenset({_T.TEXT, _T.COMB, _T.MULTILINE, _T.CHOICE, _T.LIST})
_NUMBERS = frozenset({_T.NUMBER, _T.TEXT, _T.COMB, _T.CHOICE})
_BUTTONS = frozenset({_T.CHECKBOX, _T.RADIO, _T.CHOICE, _T.LIST})


@dataclass(frozen=True)
class Concept:
    """One thing a wedding form asks: its key (the JSON's `concept`), the field types that
    agree with it (the first is its natural type), what it means, and the words for it."""

    key: str
    types: tuple[FieldType, ...]
    description: str
    synonyms: tuple[str, ...]


def _c(key: str, types: Iterable[FieldType], description: str, *synonyms: str) -> Concept:
    return Concept(key, tuple(types), description, synonyms)


CONCEPTS: tuple[Concept, ...] = (
    _c(
        "couple_names",
        (_T.TEXT,),
        "The names of both partners together, as the couple signs.",
        "couple names", "names of the couple", "couple", "bride and groom", "bride groom",
        "newlyweds", "noms des maries", "nombres de los novios", "namen des brautpaares",
        "brautpaar",
    ),
    _c(
        "partner1_name",
        (_T.TEXT,),
        "Partner 1's full name (the bride, or the first partner the form names).",
        "bride name", "bride full name", "partner 1 name", "partner 1 full name",
        "name of bride", "first partner name", "partner one name", "bride", "partner 1",
        "nom de la mariee", "mariee", "nombre de la novia", "novia", "name der braut", "braut",
    ),
    _c(
        "partner1_first_name",
        (_T.TEXT,),
        "Partner 1's first (given) name.",
        "bride first name", "partner 1 first name", "bride given name", "prenom de la mariee",
        "nombre de pila de la novia", "vorname der braut",
    ),
    _c(
        "partner1_last_name",
        (_T.TEXT,),
        "Partner 1's last (family) name.",
        "bride last name", "bride surname", "partner 1 last name", "partner 1 surname",
        "bride maiden name", "nom de famille de la mariee", "apellido de la novia",
        "nachname der braut",
    ),
    _c(
        "partner2_name",
        (_T.TEXT,),
        "Partner 2's full name (the groom, or the second partner the form names).",
        "groom name", "groom full name", "partner 2 name", "partner 2 full name",
        "name of groom", "second partner name", "partner two name", "groom", "partner 2",
        "nom du marie", "marie", "nombre del novio", "novio", "name des brautigams",
        "brautigam",
    ),
    _c(
        "partner2_first_name",
        (_T.TEXT,),
        "Partner 2's first (given) name.",
        "groom first name", "partner 2 first name", "groom given name", "prenom du marie",
        "nombre de pila del novio", "vorname des brautigams",
    ),
    _c(
        "partner2_last_name",
        (_T.TEXT,),
        "Partner 2's last (family) name.",
        "groom last name", "groom surname", "partner 2 last name", "partner 2 surname",
        "nom de famille du marie", "apellido del novio", "nachname des brautigams",
    ),
    _c(
        "client_name",
        (_T.TEXT,),
        "The name of the client who signs the vendor's contract.",
        "client name", "client", "customer name", "client full name", "name of client",
        "nom du client", "nombre del cliente", "name des kunden", "kunde", "auftraggeber",
    ),
    _c(
        "date_of_birth",
        (_T.DATE, _T.TEXT, _T.COMB),
        "A partner's date of birth.",
        "date of birth", "birth date", "birthday", "dob", "date de naissance",
        "fecha de nacimiento", "geburtsdatum",
    ),
    _c(
        "wedding_date",
        (_T.DATE, _T.TEXT, _T.COMB),
        "The day of the wedding (or of the event the vendor serves).",
        "wedding date", "date of wedding", "date of the wedding", "event date",
        "date of event", "wedding day", "date du mariage", "date de l evenement",
        "fecha de la boda", "fecha del evento", "hochzeitsdatum", "datum der hochzeit",
        "trauungsdatum",
    ),
    _c(
        "rehearsal_date",
        (_T.DATE, _T.TEXT),
        "The day of the rehearsal (dinner).",
        "rehearsal date", "rehearsal dinner date", "date of rehearsal",
        "date de la repetition", "fecha del ensayo", "probe datum",
    ),
    _c(
        "ceremony_time",
        (_T.TEXT, _T.CHOICE),
        "When the ceremony starts.",
        "ceremony time", "ceremony start time", "ceremony start", "time of ceremony",
        "heure de la ceremonie", "hora de la ceremonia", "uhrzeit der trauung",
        "beginn der trauung",
    ),
    _c(
        "reception_time",
        (_T.TEXT, _T.CHOICE),
        "When the reception starts.",
        "reception time", "reception start time", "reception start", "time of reception",
        "heure de la reception", "hora de la recepcion", "beginn der feier",
    ),
    _c(
        "ceremony_setting",
        (_T.RADIO, _T.CHOICE, _T.CHECKBOX, _T.TEXT),
        "Where the ceremony takes place in kind: indoor or outdoor.",
        "ceremony location", "ceremony setting", "indoor or outdoor", "indoor", "outdoor",
        "outside", "inside", "garden", "church", "beach",
        "lieu de la ceremonie", "lugar de la ceremonia", "ort der trauung",
    ),
    _c(
        "venue_name",
        (_T.TEXT, _T.CHOICE),
        "The name of the venue (the place of the ceremony or reception).",
        "venue name", "venue", "name of venue", "reception venue", "ceremony venue",
        "wedding venue", "lieu", "nom du lieu", "lieu de reception", "salle", "lugar",
        "nombre del lugar", "salon", "veranstaltungsort", "location name",
    ),
    _c(
        "venue_address",
        (_T.TEXT, _T.MULTILINE),
        "The street address of the venue.",
        "venue address", "address of venue", "address of the venue", "venue street address",
        "reception address", "ceremony address", "adresse du lieu", "direccion del lugar",
        "adresse der location",
    ),
    _c(
        "mailing_address",
        (_T.TEXT, _T.MULTILINE),
        "The couple's (or the client's) postal address.",
        "address", "mailing address", "home address", "street address", "street",
        "postal address", "current address", "adresse", "adresse postale", "direccion",
        "domicilio", "anschrift", "adresse", "strasse",
    ),
    _c(
        "city",
        (_T.TEXT, _T.CHOICE),
        "The city or town of an address (the venue's, or the couple's).",
        "city", "town", "city town", "ville", "ciudad", "stadt", "ort",
    ),
    _c(
        "postal_code",
        (_T.NUMBER, _T.COMB, _T.TEXT),
        "The ZIP or postal code of an address.",
        "zip code", "zip", "postal code", "postcode", "code postal", "codigo postal", "plz",
        "postleitzahl",
    ),
    _c(
        "guest_count",
        (_T.NUMBER, _T.COMB, _T.TEXT, _T.CHOICE),
        "How many guests are expected.",
        "number of guests", "guest count", "guests", "expected guests", "headcount",
        "head count", "estimated guests", "attendance", "nombre d invites",
        "nombre de personnes", "numero de invitados", "invitados", "anzahl der gaste",
        "gasteanzahl", "gaste",
    ),
    _c(
        "contact_email",
        (_T.EMAIL, _T.TEXT),
        "The e-mail address to reach the couple (or the client) at.",
        "email", "email address", "contact email", "your email", "courriel",
        "adresse email", "correo electronico", "correo", "e mail adresse",
    ),
    _c(
        "contact_phone",
        (_T.PHONE, _T.TEXT, _T.COMB),
        "The telephone number to reach the couple (or the client) at.",
        "phone", "phone number", "mobile", "mobile phone", "cell", "cell phone",
        "telephone", "tel", "contact phone", "contact number", "portable", "telefono",
        "movil", "celular", "telefon", "handy", "telefonnummer",
    ),
    _c(
        "planner_phone",
        (_T.PHONE, _T.TEXT),
        "The wedding planner's (or coordinator's) telephone number.",
        "planner phone", "planner phone number", "coordinator phone", "wedding planner phone",
        "telephone de l organisateur", "telefono del organizador", "telefon des planers",
    ),
    _c(
        "coordinator",
        (_T.TEXT,),
        "Who coordinates the wedding day (the planner or day-of coordinator).",
        "day of coordinator", "coordinator", "wedding planner", "planner", "organisateur",
        "wedding planner name", "coordinador", "organizador", "hochzeitsplaner",
    ),
    _c(
        "officiant",
        (_T.TEXT,),
        "Who officiates the ceremony.",
        "officiant", "celebrant", "minister", "priest", "rabbi", "imam", "officiant name",
        "officiant de la ceremonie", "oficiante", "standesbeamter", "pfarrer", "traurednerin",
        "trauredner",
    ),
    _c(
        "photographer_hours",
        (_T.NUMBER, _T.TEXT, _T.CHOICE),
        "How many hours of photography coverage are booked.",
        "photographer hours", "hours of coverage", "coverage hours", "photography hours",
        "number of hours", "hours", "heures de couverture", "horas de cobertura",
        "stunden", "begleitstunden",
    ),
    _c(
        "photographer_arrival_time",
        (_T.TEXT,),
        "When the photographer arrives on the day.",
        "photographer arrival time", "photographer arrival", "arrival time",
        "heure d arrivee du photographe", "hora de llegada del fotografo",
        "ankunft des fotografen",
    ),
    _c(
        "first_dance_song",
        (_T.TEXT,),
        "The song of the couple's first dance.",
        "first dance song", "first dance", "song for first dance", "premiere danse",
        "chanson de la premiere danse", "primer baile", "cancion del primer baile",
        "eroffnungstanz", "hochzeitstanz",
    ),
    _c(
        "florist",
        (_T.TEXT,),
        "The florist (vendor) of the wedding.",
        "florist", "flowers", "fleuriste", "florista", "florist name", "blumen",
        "florist in",
    ),
    _c(
        "wedding_colours",
        (_T.TEXT,),
        "The wedding's colours (its palette).",
        "wedding colours", "wedding colors", "colours", "colors", "colour scheme",
        "color scheme", "palette", "couleurs", "couleurs du mariage", "colores",
        "colores de la boda", "farben", "hochzeitsfarben",
    ),
    _c(
        "table_number",
        (_T.NUMBER, _T.COMB, _T.TEXT, _T.CHOICE),
        "A table's number in the seating plan.",
        "table number", "table", "table no", "numero de table", "numero de mesa", "mesa",
        "tischnummer", "tisch",
    ),
    _c(
        "dietary_needs",
        (_T.MULTILINE, _T.TEXT, _T.CHECKBOX, _T.RADIO, _T.CHOICE, _T.LIST),
        "Dietary needs and allergies (a text, or one box per diet).",
        "dietary requirements", "dietary restrictions", "dietary needs", "diet",
        "allergies", "food allergies", "special diet", "vegetarian", "vegan", "gluten free",
        "halal", "kosher", "dairy free", "nut allergy", "regime alimentaire", "vegetarien",
        "sans gluten", "restricciones alimentarias", "alergias",
        "vegetariano", "sin gluten", "ernahrung", "allergien", "vegetarisch", "glutenfrei",
    ),
    _c(
        "special_requests",
        (_T.MULTILINE, _T.TEXT),
        "Anything special the couple asks for.",
        "special requests", "special requirements", "requests", "demandes particulieres",
        "peticiones especiales", "besondere wunsche", "sonderwunsche",
    ),
    _c(
        "shot_list",
        (_T.MULTILINE, _T.TEXT),
        "The photographs the couple must have (the shot list).",
        "must have shots", "shot list", "must have photos", "photo list",
        "list of photos", "photos souhaitees", "liste de photos", "lista de fotos",
        "fotoliste", "wunschfotos",
    ),
    _c(
        "family_notes",
        (_T.MULTILINE, _T.TEXT),
        "Family details the vendor should know (divorced parents, names, who to group).",
        "family notes", "family details", "family information", "family situation",
        "notes sur la famille", "notas familiares", "familie",
    ),
    _c(
        "notes",
        (_T.MULTILINE, _T.TEXT),
        "Free notes and comments.",
        "notes", "comments", "remarks", "additional notes", "other notes",
        "anything else", "other information", "remarques", "commentaires", "notas",
        "comentarios", "observaciones", "anmerkungen", "notizen", "bemerkungen",
    ),
    _c(
        "budget",
        (_T.NUMBER, _T.TEXT, _T.CHOICE),
        "The couple's (estimated) budget.",
        "budget", "estimated budget", "total budget", "wedding budget", "price range",
        "budget estime", "presupuesto", "presupuesto estimado", "budget in eur",
    ),
    _c(
        "deposit",
        (_T.NUMBER, _T.TEXT),
        "The deposit (retainer) paid to secure the date.",
        "deposit", "deposit amount", "retainer", "booking fee", "down payment", "acompte",
        "arrhes", "deposito", "anticipo", "senal", "anzahlung",
    ),
    _c(
        "total_price",
        (_T.NUMBER, _T.TEXT),
        "The total price (fee) of the contract.",
        "total fee", "total price", "total", "total amount", "total cost", "fee",
        "package price", "price", "prix total", "montant total", "tarif", "precio total",
        "importe total", "gesamtpreis", "gesamtbetrag", "honorar",
    ),
    _c(
        "meal_choice",
        (_T.RADIO, _T.CHOICE, _T.LIST, _T.CHECKBOX, _T.TEXT),
        "A guest's choice of meal (beef, fish, vegetarian, …).",
        "meal", "meal choice", "entree", "entree choice", "main course", "menu choice",
        "dinner choice", "choix du plat", "choix du menu", "plato principal", "menu",
        "hauptgang", "menuwahl",
    ),
    _c(
        "package",
        (_T.RADIO, _T.CHOICE, _T.LIST, _T.CHECKBOX, _T.TEXT),
        "The package (collection) booked.",
        "package", "collection", "package chosen", "photography package", "silver", "gold",
        "platinum", "bronze", "essential", "premium", "formule",
        "forfait", "paquete", "paket",
    ),
    _c(
        "add_ons",
        (_T.CHECKBOX, _T.LIST, _T.RADIO, _T.TEXT),
        "Extra services booked on top of the package (second shooter, drone, album, …).",
        "add ons", "extras", "additional services", "options", "drone photos", "drone",
        "second shooter", "second photographer", "engagement session", "engagement shoot",
        "photo booth", "live band", "band", "printed album", "album", "videography",
        "supplements", "options supplementaires", "servicios adicionales", "zusatzleistungen",
    ),
    _c(
        "reception_style",
        (_T.RADIO, _T.CHOICE, _T.TEXT),
        "How the meal is served: buffet, plated, family style.",
        "reception style", "meal service", "catering style", "dinner style", "service style",
        "buffet", "plated", "family style", "cocktail", "food stations",
        "type de service", "tipo de servicio", "servierart",
    ),
    _c(
        "delivery_method",
        (_T.RADIO, _T.CHOICE, _T.CHECKBOX, _T.TEXT),
        "How the photos are delivered: online gallery, USB, prints.",
        "delivery", "delivery method", "photo delivery", "image delivery", "online gallery",
        "usb", "usb drive", "download", "prints", "livraison",
        "mode de livraison", "entrega", "lieferung",
    ),
    _c(
        "terms_agreement",
        (_T.CHECKBOX, _T.RADIO),
        "The client's agreement to the terms (a box ticked).",
        "i agree", "agree to the terms", "terms and conditions", "cancellation policy",
        "i accept", "accept the terms", "j accepte", "acepto", "ich stimme zu",
        "einverstanden",
    ),
    _c(
        "client_signature",
        (_T.SIGNATURE, _T.TEXT),
        "The client's (the couple's) signature.",
        "client signature", "signature of client", "customer signature", "couple signature",
        "signature", "signed", "your signature", "signature du client", "firma del cliente",
        "firma", "unterschrift", "unterschrift des kunden",
    ),
    _c(
        "vendor_signature",
        (_T.SIGNATURE, _T.TEXT),
        "The vendor's (photographer's, planner's, venue's) signature.",
        "photographer signature", "vendor signature", "studio signature",
        "planner signature", "venue signature", "signature du photographe",
        "firma del fotografo", "unterschrift des fotografen",
    ),
    _c(
        "signature_date",
        (_T.DATE, _T.TEXT),
        "The day a signature was made (the date beside a signature line).",
        "signature date", "date signed", "date of signature", "signed on",
        "date de signature", "fecha de firma", "datum der unterschrift",
    ),
    _c(
        "schedule_time",
        (_T.TEXT,),
        "The time of one moment of the day's timeline.",
        "time", "start time", "heure", "hora", "uhrzeit",
    ),
    _c(
        "schedule_event",
        (_T.TEXT, _T.MULTILINE),
        "What happens at one moment of the day's timeline.",
        "event", "activity", "moment", "what", "evenement", "evento", "programmpunkt",
    ),
    _c(
        "schedule_location",
        (_T.TEXT,),
        "Where one moment of the day's timeline happens.",
        "location", "where", "place", "endroit", "ubicacion", "ort des programmpunkts",
    ),
)  # fmt: skip
"""Every concept of the wedding schema (docs/forms.md lists them)."""

BY_KEY: dict[str, Concept] = {c.key: c for c in CONCEPTS}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS = _words(
    "a an the of for to your our and or in on at by with is are please enter "
    "le la les l du des de d un une et ou votre vos "
    "el los las del y su sus un una "
    "der die das des dem den und ihr ihre ein eine"
)
"""Words that say nothing of the concept (English, French, Spanish, German)."""

_GENERIC = _words(
    "name full first last given family surname date phone number email address time "
    "mobile cell telephone tel signature amount total city zip code"
)
"""Words that name a kind of answer, not whose: a label of only these needs its context."""

_REPLACE = (
    (re.compile(r"\be\s*-?\s*mail\b"), "email"),
    (re.compile(r"\bpartner\s*(?:#|no\.?)?\s*(?:1|one|i)\b"), "partner 1"),
    (re.compile(r"\bpartner\s*(?:#|no\.?)?\s*(?:2|two|ii)\b"), "partner 2"),
    (re.compile(r"#|\bno\.(?=\s|$)|\bnbr\b|\bnum\b"), " number "),
    (re.compile("['\u2019]s\\b"), ""),
    (re.compile(r"\(?mm\s*/\s*dd\s*/\s*(?:yyyy|yy)\)?|\(?dd\s*/\s*mm\s*/\s*(?:yyyy|yy)\)?"), " "),
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> tuple[str, ...]:
    """The tokens of a label or synonym: lower case, without accents, punctuation, small
    words, a plural `s` or a possessive, `e-mail` as `email`, `#` as `number`."""
    plain = unicodedata.normalize("NFKD", _CAMEL.sub(" ", text))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    for pattern, replacement in _REPLACE:
        plain = pattern.sub(replacement, plain)
    tokens = []
    for word in _NOT_WORD.split(plain):
        if not word or word in _STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        tokens.append(word)
    return tuple(tokens)


@lru_cache(maxsize=1)
def _index() -> dict[str, list[tuple[int, frozenset[str]]]]:
    """Each word of a synonym → the (concept index, synonym words) that hold it: a label
    is scored against the synonyms that share a word with it, not all of them."""
    index: dict[str, list[tuple[int, frozenset[str]]]] = {}
    for i, concept in enumerate(CONCEPTS):
        for text in (concept.key.replace("_", " "), *concept.synonyms):
            words = frozenset(normalise(text))
            for word in words:
                index.setdefault(word, []).append((i, words))
    return index


def _similarity(label: frozenset[str], synonym: frozenset[str]) -> float:
    """How well a synonym's tokens name a label's (module docstring)."""
    if not label or not synonym:
        return 0.0
    shared = label & synonym
    common = len(shared)
    if not common or all(token.isdigit() for token in shared):
        return 0.0  # "1" alone names no partner
    dice = 2 * common / (len(label) + len(synonym))
    if common == len(synonym) and len(label) > len(synonym):
        if len(synonym) >= 2:
            return max(dice, 0.9)
        if len(label) <= 4:
            return max(dice, 0.75)
    return dice


def _type_factor(concept: Concept, field_type: FieldType | None) -> float:
    if field_type is None:
        return 1.0
    if field_type in concept.types:
        return 1.05 if field_type is not FieldType.TEXT else 1.0
    if field_type is FieldType.TEXT and concept.types[0] in _TEXTS | {_T.DATE, _T.PHONE}:
        return 1.0
    if field_type in (_T.DATE, _T.EMAIL, _T.PHONE, _T.NUMBER) and _T.TEXT in concept.types:
        return 0.85  # typed from its words: a near miss, not a contradiction
    if field_type in _BUTTONS and not set(concept.types) & _BUTTONS:
        return 0.6
    if field_type in _TEXTS and set(concept.types) <= _BUTTONS | {_T.SIGNATURE}:
        return 0.6
    return 0.8


def score_concepts(
    label: str, field_type: FieldType | None = None, context: Sequence[str] = ()
) -> list[tuple[str, float]]:
    """Every concept's score for a label (best first, those above zero): see the module's
    docstring for the rules."""
    tokens = frozenset(normalise(label))
    if not tokens:
        return []
    generic = tokens <= _GENERIC
    extras = [frozenset(normalise(text)) - tokens for text in context] if generic else []
    index = _index()
    best: dict[int, float] = {}
    candidates = {id(words): (i, words) for word in tokens for i, words in index.get(word, ())}
    for i, synonym in candidates.values():
        value = _similarity(tokens, synonym) * (0.8 if generic else 1.0)
        for extra in extras:
            # the label read with its context: a synonym wholly in both, naming words of
            # each, scored by Dice
            if extra and synonym & extra and synonym <= tokens | extra:
                whole = tokens | extra
                value = max(value, 2 * len(whole & synonym) / (len(whole) + len(synonym)))
        if value > best.get(i, 0.0):
            best[i] = value
    scores = [
        (CONCEPTS[i].key, min(value * _type_factor(CONCEPTS[i], field_type), 1.0))
        for i, value in best.items()
    ]
    scores.sort(key=lambda item: (-item[1], item[0]))
    return scores


def map_concept(
    label: str | None, field_type: FieldType | None = None, context: Sequence[str] = ()
) -> tuple[str | None, float]:
    """The wedding concept a field stands for and the confidence of it (0 to 1), or
    (None, best score) when no concept reaches THRESHOLD or two are within MARGIN.

    `label` is the field's printed label (or its name, humanised), `field_type` its type,
    `context` the nearby text that qualifies a generic label, nearest first: the section
    heading above it ("Bride", "Partner 2"), the signature it is dated beside.
    """
    if not label:
        return None, 0.0
    scores = score_concepts(label, field_type, context)
    if not scores:
        return None, 0.0
    key, best = scores[0]
    runner_up = scores[1][1] if len(scores) > 1 else 0.0
    confidence = round(best, 3)
    if best < THRESHOLD or best - runner_up < MARGIN:
        return None, confidence
    return key, confidence


_NAME_NOISE = re.compile(r"\[\d+\]|^(?:topmostsubform|form\d*|page\d*|p\d+)$", re.IGNORECASE)


def humanise_name(name: str) -> str:
    """A field's qualified name as words ("form1[0].BrideName[0]" → "bride name"): the last
    part that is not a page or form wrapper, camel case and underscores split."""
    parts = [_NAME_NOISE.sub("", p) for p in name.split(".")]
    parts = [p for p in parts if p and not _NAME_NOISE.fullmatch(p)]
    last = parts[-1] if parts else name
    return re.sub(r"[_\-]+|\d+$", " ", _CAMEL.sub(" ", last)).strip()


def _same_row(a: Rect, b: Rect) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.5 * min(a[3] - a[1], b[3] - b[1])


def field_context(field: Field, fields: Sequence[Field], headings: Sequence[str] = ()) -> list[str]:
    """The context of one field among its form's: the headings given (nearest first), then
    the label of a signature field just left of it on the same row (a "Date" beside a
    signature line is the date of that signature)."""
    context = list(headings)
    if field.rect is None:
        return context
    left: tuple[float, Field] | None = None
    for other in fields:
        if other is field or other.page != field.page or other.rect is None:
            continue
        if other.type is not FieldType.SIGNATURE or not _same_row(field.rect, other.rect):
            continue
        gap = field.rect[0] - other.rect[2]
        if 0 <= gap <= 120 and (left is None or gap < left[0]):
            left = (gap, other)
    if left is not None:
        context.append(left[1].label or "signature")
    return context


def assign_concepts(
    fields: Sequence[Field], headings: Mapping[int, Sequence[tuple[Rect, str]]] | None = None
) -> list[Field]:
    """The fields with `concept` and `concept_confidence` set (`map_concept` of each label,
    else of its humanised name). `headings` gives, per page, the text lines that may head a
    section: the nearest one above a field (within 200 pt) is its context."""
    labels = {f.label for f in fields if f.label}
    mapped = []
    for f in fields:
        label = f.label or humanise_name(f.name)
        above: list[str] = []
        if headings and f.page is not None and f.rect is not None:
            lines = [(r, t) for r, t in headings.get(f.page, ()) if t not in labels]
            above = _headings_above(f.rect, lines)
        context = field_context(f, fields, above)
        concept, confidence = map_concept(label, f.type, context)
        if f.type in (FieldType.RADIO, FieldType.CHOICE, FieldType.LIST):
            chosen, score = options_concept(f)
            if chosen is not None and chosen != concept:
                concept, confidence = chosen, score  # what can be chosen says what it is
        mapped.append(replace(f, concept=concept, concept_confidence=confidence))
    return mapped


def options_concept(field: Field) -> tuple[str | None, float]:
    """The concept a group's options agree on (Indoor/Outdoor is the ceremony's setting,
    Buffet/Plated the reception's style): each option's label scored, the scores averaged;
    None below THRESHOLD, within MARGIN of another, or with fewer than two options. A
    radio group or a choice is what its options say it is, even when its question reads
    poorly."""
    texts = [o.label or o.value for o in field.options]
    if len(texts) < 2:
        return None, 0.0
    totals: dict[str, float] = {}
    for text in texts:
        for key, score in score_concepts(text, field.type)[:3]:
            totals[key] = totals.get(key, 0.0) + score
    ranked = sorted(((total / len(texts), key) for key, total in totals.items()), reverse=True)
    if not ranked:
        return None, 0.0
    best, key = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    if best < THRESHOLD or best - runner_up < MARGIN:
        return None, round(best, 3)
    return key, round(best, 3)


def _headings_above(rect: Rect, lines: Sequence[tuple[Rect, str]]) -> list[str]:
    """The short text lines above a field that are no label (no colon), nearest first, up
    to two."""
    found = []
    for line, text in lines:
        if line[1] < rect[3] - 2 or line[1] - rect[3] > 200 or line[0] > rect[2]:
            continue
        if len(text.split()) > 6 or text.rstrip().endswith(":"):
            continue
        found.append((line[1] - rect[3], text))
    found.sort()
    return [text for _, text in found[:2]]
