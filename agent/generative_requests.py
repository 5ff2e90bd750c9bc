"""Requests for what only a generative model does: a new picture (from words, or following a map the person has), a
restyled one, an object removed or replaced.

Offline none of those tools is loaded, and the small model, which cannot call a tool the prompt does not list, ran
whatever was listed: "make it black and white" and "make it look like a watercolor painting" removed the
background, "replace the cup with a teapot" too, "turn it into a cartoon" resized the picture to 3x2 and "draw a
picture of a cat" sketched the photo, each answered as done ("here's a pose I made, turn it into an astronaut" is
the trained example of a picture that follows a map). Read from the wording alone, so the agent can say
which tool is missing instead (``agent.loop.Agent.answer_before_the_model``, ``agent.plan_stand_ins``).

Narrow on purpose, since a match replaces whatever the model would have done: a request that names a loaded
tool's map ("make it a sketch") or states numbers ("make it 128 by 128") is never one of these, and "remove the
background" belongs to the loaded background remover.
"""

from __future__ import annotations

import re

from agent.meant_call import says
from agent.picture_questions import COLOURS
from agent.request_parts import TOOL_VERBS
from agent.stated_numbers import stated_numbers
from tools.catalog import default_registry
from tools.registry import ToolRegistry

GENERATOR = "Generate Image From User Input Text"
RESTYLER = "Instruct Image Using Text"
REMOVER = "Remove Something From The Photo"
REPLACER = "Replace Something From The Photo"

THE_PICTURE = r"(?:it|this|that|(?:the|this|that|my)\s+(?:\w+\s+)?(?:image|photo|picture|pic|one)|\S+\.(?:png|jpe?g|webp|bmp|gif))"
_LOOKS = (
    r"black[- ]and[- ]white|gr[ae]yscale|monochrome|sepia|vintage|retro|cartoon|anime|watercolou?r|"
    r"(?:an?\s+)?(?:oil\s+)?painting|pixel\s+art|comic|winter|snowy|autumn|at\s+night|colou?rful|"
    r"nicer|better|prettier|more\s+beautiful|brighter|darker|sharper|clearer|crisper|less\s+blurry|more\s+vivid"
    r"|professional|warmer|cooler|colder|more\s+saturated|less\s+saturated|more\s+colou?rful|softer"
)
_ASKS = {
    # "draw a picture of a cat", "can you generate an image of a sunset?" (not "draw a box around the label")
    GENERATOR: re.compile(
        r"^\W*(?:(?:please|can\s+you|could\s+you|would\s+you)\s+)*(?:draw|paint|generate|create|render|imagine)"
        r"\s+(?:me\s+)?(?:a|an|some)\s+(?!box|boxes|circle|rectangle|line|border)",
        re.IGNORECASE,
    ),
    # "make it black and white", "turn this photo into a watercolor", "convert it to grayscale", "in the style of Van Gogh", "add a rainbow to
    # ...", "make it look nicer" (the embedded model read its text), "enhance the photo", "sharpen it"
    RESTYLER: re.compile(
        rf"\b(?:make|turn|change|convert)\s+{THE_PICTURE}\s+(?:look\s+)?(?:like\s+|into\s+|to\s+)?(?:an?\s+)?(?:{_LOOKS})\b"
        r"|\bin\s+the\s+style\s+of\b"
        # "add a rainbow" (the model blurred a box of 600, 400, 400, 600), "add some snow to it"
        r"|\badd\s+(?:an?|some)\s+(?!(?:\w+\s+)?(?:caption|text|title|words?|watermark|border|frame|background|backdrop|box(?:es)?"
        r"|margin|label|blur|padding)\b)\w+(?:\s+\w+)?\s*(?:(?:to|in|on|into)\b|[.!?]*$)"
        # "make a cartoon of it", "make a black and white version of this photo" (the model drew a sketch)
        rf"|\b(?:make|create|do)\s+(?:me\s+)?(?:an?\s+)?(?:{_LOOKS})(?:\s+(?:version|copy|one))?\s+(?:of|from)\s+"
        rf"{THE_PICTURE}"
        rf"|\b(?:enhance|improve|beautify|retouch|sharpen|brighten|darken|(?:de)?saturate|colou?ri[sz]e|denoise)\s+"
        rf"{THE_PICTURE}"
        # "increase the brightness a little", "boost the contrast" (the model blurred or resized)
        r"|\b(?:increase|decrease|raise|lower|boost|reduce|adjust|fix|change|turn\s+(?:up|down))\s+(?:the\s+|its\s+)?"
        r"(?:brightness|contrast|saturation|exposure|colou?rs?|sharpness|hue|warmth|white\s+balance)\b"
        # a part's colour: "make the sky purple", "change her hair to blue" (the model removed the background)
        rf"|\b(?:make|turn|change|colou?r|paint|dye)\s+(?:the|her|his|its|their)\s+(?:\w+\s+)?\w+\s+(?:to\s+|into\s+)?"
        rf"(?:{COLOURS})\b"
        # the look alone, after an edit: "and now black and white?" (the model removed the background)
        r"|^\W*(?:(?:and|now|then|ok(?:ay)?|also|maybe)[,!.]?\s+)*(?:in\s+)?(?:black[- ]and[- ]white|gr[ae]yscale|monochrome"
        # "and sharper?" after "make her face bigger" (the model resized to 176 x 65616)
        r"|sepia|(?:a\s+(?:bit|little)\s+)?(?:sharper|brighter|darker|clearer|crisper|more\s+vivid|less\s+blurry))"
        r"(?:\s+(?:now|too|please|as\s+well|instead))*\s*[.!?]*\s*$",
        re.IGNORECASE,
    ),
    # "remove the spoon from the picture", "erase that car" (not the background: the loaded remover's)
    REMOVER: re.compile(
        # not "remove the black corners" of a rotation (agent/black_corners.py)
        r"\b(?:remove|erase|delete|get\s+rid\s+of|take\s+out)\s+(?:the|that|this|those|these)\s+"
        r"(?!background\b|bg\b|black\s+(?:corners?|edges?|borders?|bits|parts|triangles|areas)\b)",
        re.IGNORECASE,
    ),
    # "replace the cup with a teapot", "swap the dog for a cat"
    REPLACER: re.compile(r"\b(?:replace|swap)\s+(?:the\s+)?\S+(?:\s+\S+){0,4}?\s+(?:with|for)\b", re.IGNORECASE),
}
# "invert the colors of the edges" (the model rotated the photo by 180 degrees), "make it a negative"
_INVERTED = re.compile(
    rf"\binvert\s+(?:the\s+|its\s+)?(?:colou?rs?\b|{THE_PICTURE})|\bmake\s+{THE_PICTURE}\s+(?:a\s+)?negative\b",
    re.IGNORECASE,
)
# A new picture asked for, and a map the person has as its source ("from this sketch", "use this depth map", "here's
# a pose I made"), not as its target ("turn it into a sketch").
_MAKES = re.compile(
    r"\b(?:draw|paint|generate|create|render|make|turn|imagine|design)\b|\bnew\s+(?:image|picture|photo)\b",
    re.IGNORECASE,
)
# Words that hand something over ("here's a pose I made", "I drew this sketch").
_HANDS_OVER = r"(?:here'?s|here\s+is|this\s+is|i\s+have|i've\s+got|i\s+drew|i\s+made)"
_SOURCE = (
    r"(?:\bbased\s+on(?:\s+(?:this|that|my|the))?"  # HuggingGPT's "based on pose of d.jpg"
    r"|\b(?:from|following|follows|using|use|with)\s+(?:this|that|my|the)"
    rf"|\b{_HANDS_OVER}\s+(?:a|an|my|the|this))\s+(?:\w+\s+)?"
)
# A new picture from what an earlier part of the request made: "... and then generate a new image from it"
_FROM_IT = r"\b(?:from|following|using|based\s+on)\s+(?:it|that|this|the\s+(?:result|map|output))\b"
# A new picture that follows one the conversation has ("a snowy street that follows this depth", "draw it as ..."):
# a conditioned generator's work, or an edit, not a picture from words alone.
_POINTS = re.compile(r"\b(?:it|this|that|these|those|my|the\s+(?:image|photo|picture|pic|map))\b", re.IGNORECASE)


def generative_tool(request: str, loaded: ToolRegistry) -> str | None:
    """The generative tool ``request`` asks for by its wording (see the module docstring), or ``None``. Read clause
    by clause ("rotate it by 90 degrees, then make it black and white"): a clause that states numbers or names a map
    or a tool that ``loaded`` holds asks for none (other than as the map a new picture follows: :func:`map_follower`,
    read over the whole request)."""
    follower = map_follower(request)
    if follower:
        return follower
    if _INVERTED.search(request):  # of any image, a map too: "invert the colors of the edges"
        return RESTYLER
    for clause in _CLAUSE_BREAK.split(request):
        if stated_numbers(clause) or any(
            says(clause, spec.name) or any(says(clause, word) for word in spec.makes_map) for spec in loaded
        ):
            continue
        for tool, pattern in _ASKS.items():
            if pattern.search(clause) and not (tool == GENERATOR and _POINTS.search(clause)):
                return tool
    return None


# Where one thing asked ends and the next begins ("..., then ...", "... and then ...", "... and rotate it", a new
# sentence).
_CLAUSE_BREAK = re.compile(
    rf"[.?!;,]\s+|\s+(?:and\s+)?then\s+|\s+after\s+that\s+|\s+and\s+(?=(?:{TOOL_VERBS})\b)", re.IGNORECASE
)


def map_follower(request: str) -> str | None:
    """The generator that draws a new picture following the map ``request`` says the person has ("draw a castle from
    this sketch", "here's a pose I made, turn it into an astronaut"; ``ToolSpec.follows_map``), or ``None``."""
    if not _MAKES.search(request):
        return None
    for spec in default_registry():
        words = "|".join(re.escape(word) for word in spec.follows_map)
        if words and re.search(rf"{_SOURCE}(?:{words})\b", request, re.IGNORECASE):
            return spec.name
        # the map made earlier in the request: "make a pose map and then generate a new image from it"
        if words and re.search(rf"\b(?:{words})\b.*{_FROM_IT}", request, re.IGNORECASE):
            return spec.name
    return None


# A second request in the same message ("..., then rotate it"); "black and white" is one thing.
_MORE = re.compile(r"[.?!;]\s*\S|\b(?:then|also|plus)\b|\band\s+(?!white\b)", re.IGNORECASE)


# A sentence that only hands something over ("Here's a pose I made."), before the request itself.
_INTRO = re.compile(rf"^\s*{_HANDS_OVER}\b[^.?!;,]*[.?!;,]", re.IGNORECASE)


# A word that only joins the request to the last one: "and a normal map" after a depth map (the model was run)
_JOINED = re.compile(r"^\s*(?:(?:and|also|plus|then|now|ok(?:ay)?)\b[,]?\s*)+", re.IGNORECASE)


def asks_only_that(request: str) -> bool:
    """Whether ``request`` is one request, with nothing else asked beside it (an opening sentence that only hands
    something over aside, and a word that joins it to the last one)."""
    return not _MORE.search(_JOINED.sub("", _INTRO.sub("", request)).strip().rstrip(".?!"))
