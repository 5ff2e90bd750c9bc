"""'What can you do?' answered from the tools that are loaded, and what no tool does.

The model learned a fixed answer to it ("I can describe images, answer questions about them ..."), which the
offline demo cannot do: it serves neither captioning nor question answering. The agent knows what is loaded, so it
answers such a question itself, before the model runs.

No tool of the catalogue flips or mirrors an image, writes text onto it or puts two together; asked to "flip it horizontally", the model
rotated it by 20000 degrees and presented the result. A request only for that is answered with what can be done
instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.picture_questions import COLOURS
from agent.request_parts import request_parts
from tools.spec import ToolSpec

_ASKS = re.compile(
    r"\bwhat\s+(?:else\s+)?(?:can|could)\s+you\s+do\b"
    r"|\bwhat\s+are\s+you\s+able\s+to\s+do\b"
    # "im new here, what do you do?" (the model answered "I could not answer that")
    r"|\bwhat\s+(?:exactly\s+)?(?:do|does)\s+(?:you|this\s+(?:app|tool|thing|demo))\s+do\W*$"
    r"|\bwhat\s+(?:tools|abilities|features|skills)\s+(?:do\s+you\s+have|have\s+you\s+got|are\s+(?:there|loaded|available))\b"
    r"|\bwhich\s+tools\s+(?:do\s+you\s+have|are\s+(?:there|loaded|available))\b"
    # "hi! what is this app?" (the model: "It is an AI assistant, not an app."), "who are you?"
    r"|\bwhat\s+(?:is|'s)\s+this\s+(?:app|tool|thing|demo|program|site|place)\b|\b(?:who|what)\s+are\s+you\W*$"
    r"|\bhow\s+(?:do|does)\s+(?:i\s+use\s+)?(?:this|it)\s+work\W*$|\bhow\s+do\s+i\s+use\s+(?:this|you)\b"
    # "what can I do here?" (the model asked for an image)
    r"|^\W*(?:\w+[,!.]?\s+)?what\s+can\s+i\s+do(?:\s+(?:here|with\s+(?:this|it|you|(?:this|the|my)\s+"
    r"(?:photo|image|picture|pic))))?\W*$"
    # "what should i do with this photo?" (the model answered "I could not answer that"), "what else can I do with
    # it?"
    r"|^\W*(?:\w+[,!.]?\s+)?what\s+(?:else\s+)?(?:should|could|shall|can)\s+(?:i|we)\s+do\s+with\s+(?:it|this|that"
    r"|(?:this|the|my)\s+(?:photo|image|picture|pic))\W*$",
    re.IGNORECASE,
)


# "what model are you?", "which llm is this?", "are you chatgpt?" (the model: "I'm an AI model, not a tool.")
_ASKS_WHICH_MODEL = re.compile(
    r"\b(?:what|which)\s+(?:language\s+)?(?:model|llm|ai)\s+(?:are\s+you|is\s+(?:this|it|running|behind\s+this))\b"
    r"|\bwhat(?:'s|\s+is)\s+(?:your\s+(?:language\s+)?(?:model|llm)\W*$|the\s+(?:language\s+)?(?:model|llm)\s+"
    r"(?:behind\s+(?:this|you)|you\s+(?:use|run\s+on)|here)\b)"
    r"|\bare\s+you\s+(?:chat\s?gpt|gpt|gpt-?\d|an?\s+(?:llm|language\s+model))\b"
    r"|\bwho\s+(?:made|built|created|trained)\s+you\b",
    re.IGNORECASE,
)


def asks_which_model(request: str) -> bool:
    """Whether ``request`` asks which language model answers (or who made it)."""
    return bool(_ASKS_WHICH_MODEL.search(request))


def model_answer(identity: str, tools: Sequence[str]) -> str:
    """Which model answers (``identity``, as the launcher names it) and that it drives the loaded ``tools``."""
    runs = f"I am {identity}" if identity else "I am a small open language model"
    drives = f": {', '.join(tools)}" if tools else ", though none is loaded now"
    return (
        f"{runs}, running here on this machine. I cannot see images myself; I choose and call the image tools{drives}."
    )


# "what is a lora adapter?" (the model answered that it is an image editing tool)
_ASKS_ABOUT_LORA = re.compile(
    r"\b(?:what(?:'s|\s+is|\s+are|\s+does)|explain|tell\s+me\s+about|how\s+does)\s+(?:an?\s+|the\s+|your\s+)?"
    r"(?:q?lora|low[- ]rank\s+adaptation)s?\b",
    re.IGNORECASE,
)
LORA_ANSWER = (
    "A LoRA adapter is a small set of low-rank weight changes trained on top of a language model whose own weights "
    "stay frozen: it teaches the model a new skill, here choosing and calling the image tools, for a fraction of the "
    "cost of training the whole model. {runs}"
)


def asks_about_lora(request: str) -> bool:
    """Whether ``request`` asks what a LoRA adapter is."""
    return bool(_ASKS_ABOUT_LORA.search(request))


def lora_answer(identity: str) -> str:
    """What a LoRA adapter is, and which model (and adapter: ``identity``, as the launcher names it) answers here."""
    return LORA_ANSWER.format(runs=f"This demo runs {identity}." if identity else "")


def asks_what_it_can_do(request: str) -> bool:
    """Whether ``request`` asks what the assistant can do or which tools it has."""
    return bool(_ASKS.search(request))


def load_hint(spec: ToolSpec) -> str:
    """The ``--load`` value that loads ``spec``'s model families on the CPU."""
    return ",".join(f"{family}_cpu" for family in spec.families)


NO_TOOLS = "No tools are loaded, so I can only chat; I cannot work on images."


def capabilities_answer(tools: Sequence[str], takes_image: set[str], latest: str | None = None) -> str:
    """The loaded ``tools`` in a sentence, with how to use them (``takes_image``: those that work on an upload;
    ``latest``: the image the conversation works on, when it has one)."""
    if not tools:
        return NO_TOOLS
    answer = f"With the tools loaded here I can use: {', '.join(tools)}."
    if takes_image and latest:  # asked "what should i do with this photo?", it had been told to upload one
        answer += f' Tell me what to do with {latest}, for example "show me the edges".'
    elif takes_image:
        answer += " Upload an image and tell me what to do with it."
    return answer


NO_FLIP = (
    "None of the tools here can flip or mirror an image. Rotate Image can turn it instead: by 180 degrees it is "
    "upside down."
)
NO_BLUR_ALL_BUT = (
    "Blur Region blurs the inside of one box, so it can't keep one part sharp and blur the rest. I can blur a part "
    'itself instead: "blur her face", a part by its place ("the top half"), or a box you give as left, top, right, '
    "bottom."
)
NO_FORMAT = (
    "Every image here is saved as PNG, and none of the tools changes a file's format: download the image and convert "
    "it with any image editor."
)

NO_TEXT_ON_IMAGE = (
    "None of the tools here writes text onto an image, so I can't add a caption, title or watermark: add it in any "
    "image editor. I can write the caption's words for you if you tell me what the picture shows, or read the text "
    "already in the picture."
)

NO_COMPRESSION = (
    "Every image here is saved as PNG, which is lossless, and none of the tools changes how a file is compressed. "
    'A smaller picture makes a smaller file: "make it half the size" or "resize it to 800 wide".'
)

NO_FONT = (
    "None of the tools here writes text onto an image, so I can't change the font of its writing: set the words "
    "again in any image editor. I can read the text already in the picture for you."
)

NO_LINE_WIDTH = (
    "None of the tools here can make a map's lines thicker or thinner: each draws them as it finds them. Resize "
    "Image can make the whole map bigger."
)
NO_MONTAGE = (
    "None of the tools here puts images together: each works on one image. I can work on each of them in turn, for "
    'example "rotate both by 90 degrees"; combine them in any image editor.'
)

NO_BACKDROP = (
    "None of the tools here puts a picture on a new background or colours one in. Remove the background makes "
    "everything but the people transparent (most viewers show that as white or as a checkerboard); add a backdrop in "
    "any image editor."
)

NO_SPLIT = (
    "Crop Image keeps one part of a picture, so it cannot cut one into two at once: ask for a half at a time, for "
    'example "crop the left half", then "crop the right half of the original".'
)

SAVED_AS_MADE = (
    'Every image here is saved as it is made, so there is nothing more to save: ask "where is the file saved?" for '
    "its folder."
)

NO_STRAIGHTEN = (
    "I can't see how much the picture is tilted or which way is up, so I can't straighten it myself. Rotate Image "
    'turns it by an angle you give: "rotate it 90 degrees", "rotate it 5 degrees clockwise", then "a bit more" or '
    '"rotate it back".'
)

NO_FRAME = (
    "None of the tools here adds a frame or a border to a picture: add one in any image editor. Crop Image can trim "
    'the picture\'s own edges instead, for example "crop 20 pixels off each side".'
)

NO_ROUND = (
    "Crop Image keeps a rectangle: none of the tools here cuts a circle or rounds the corners. I can crop it to a "
    'square ("crop it to a square"), which any image editor can then mask round.'
)

NO_CALLS = (
    "I can't make phone calls, send messages, share, print or save contacts: I only work on the images of this "
    "conversation (each is saved as it is made, for you to download). Reading a number or an address off a picture "
    'I can do ("what\'s the phone number on the sign?").'
)

NO_DELETE = (
    "No tool here deletes a file: every image of this conversation stays in its folder until the session ends (New "
    "session, or the demo stopping, removes them). The images you don't want you can simply leave."
)


@dataclass(frozen=True)
class _BeyondTheTools:
    """A request no tool here does, and its answer."""

    asks: re.Pattern[str]
    answer: str
    alone: bool  # answered only when the request asks for nothing else
    on_an_image: bool  # answered only when the conversation has an image
    tool: str = ""  # answered only when this tool, which the answer speaks of, is loaded


_BEYOND = (
    # "flip it horizontally", "mirror the photo"
    _BeyondTheTools(re.compile(r"\b(?:flip|mirror)(?:ped|ping|s)?\b", re.I), NO_FLIP, alone=True, on_an_image=False),
    # "convert it to jpg", "save it as a webp"
    _BeyondTheTools(
        re.compile(
            r"\b(?:convert|save|export|change|turn)\b.*\b(?:to|as|into)\s+(?:an?\s+)?"
            r"(?:jpe?g|png|webp|gif|bmp|tiff?|pdf)\b",
            re.I,
        ),
        NO_FORMAT,
        alone=True,
        on_an_image=True,
    ),
    # "add a caption that says hello", "put a watermark on it" (the model answered "Goodbye!"), not "write a caption"
    _BeyondTheTools(
        re.compile(
            r"\b(?:add|put|overlay|stamp|insert|place)\s+(?:an?\s+|some\s+|the\s+|my\s+)?(?:\w+\s+)?"
            r"(?:caption|text|title|words?|watermark|subtitles?|signature|logo)\b",
            re.I,
        ),
        NO_TEXT_ON_IMAGE,
        alone=True,
        on_an_image=False,
    ),
    # "compress it", "reduce the file size" (the model resized it to its own size)
    _BeyondTheTools(
        re.compile(
            r"\bcompress(?:ed|ion)?\b|\b(?:reduce|shrink|lower|cut)\s+(?:the\s+|its\s+)?file\s*size\b"
            r"|\bmake\s+(?:the|its)\s+file\s+(?:smaller|lighter)\b",
            re.I,
        ),
        NO_COMPRESSION,
        alone=True,
        on_an_image=True,
    ),
    # "write it in a nicer font", "change the font" (the model read the sign again)
    _BeyondTheTools(
        re.compile(
            r"\b(?:change|switch|swap|replace)\s+(?:the\s+|its\s+|their\s+)?(?:fonts?|typeface)\b"
            r"|\b(?:in|with|to|use)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:fonts?|typeface)\b",
            re.I,
        ),
        NO_FONT,
        alone=True,
        on_an_image=False,
    ),
    # "put them side by side", "merge the two photos", "make a collage" (the model cropped one of them to 1, 2, 3, 4)
    _BeyondTheTools(
        re.compile(
            r"\bside\s+by\s+side\b|\bcollage\b|\bmontage\b|\b(?:merge|combine|stitch|join|blend|overlay)\s+"
            r"(?:them|these|those|both|the\s+(?:two|three|\d+)\b|(?:the|my)\s+(?:images|photos|pictures|pics)\b)"
            # "swap the cat into the coffee picture" (the model removed the coffee photo's background)
            r"|\b(?:put|paste|place|insert|swap|move|drop|add)\s+(?:the\s+\w+|her|him|it|them|this|that)\s+"
            r"(?:into|onto|in|on|to)\s+(?:the|my|that|this)\s+(?:\w+\s+)?(?:image|photo|picture|pic|one)\b"
            # "show me the original next to it" (the model ran Detection)
            r"|\b(?:show|put|place|display|set)\s+(?:me\s+)?(?:the\s+\w+|it|them|both|this|that)\s+(?:next\s+to|beside"
            r"|alongside)\s+(?:it|each\s+other|the\s+\w+|this|that|them)\b"
            # "put the cat on the left" of two photos (the model removed the cat's background)
            r"|\b(?:put|place|move)\s+(?:the\s+\w+|it|her|him|them)\s+(?:on|to|at|onto)\s+the\s+(?:left|right)(?:\s+side)?\b"
            # "swap them" (the model rotated one by 45100.3 degrees), "swap their faces", "switch the two around"
            r"|\b(?:swap|switch|exchange)\s+(?:them|these|those|both|their\s+\w+|the\s+(?:two|faces?|heads?|images|photos"
            r"|pictures|pics|backgrounds?)\b)",
            re.I,
        ),
        NO_MONTAGE,
        alone=True,
        on_an_image=True,
    ),
    # "put the original and the edges side by side" (the model drew the edges again): the "and" is what goes together
    _BeyondTheTools(
        re.compile(
            r"^\W*(?:(?:can|could|would)\s+you\s+|please\s+)*(?:put|place|show|set|display|arrange|line\s+up)\s+"
            r"[^.?!;]*\band\s+(?!(?:then\s+)?(?:put|place|show|set|display|arrange|line|make|lay)\b)[^.?!;]*\b(?:side\s+by\s+side|next\s+to\s+each\s+other|together)(?:\s+please)?\W*$",
            re.I,
        ),
        NO_MONTAGE,
        alone=False,
        on_an_image=True,
    ),
    # "put it on a white background" after the background was removed (the model removed it again), "make the
    # background black"
    _BeyondTheTools(
        re.compile(
            r"\b(?:put|place|set|paste)\s+(?:it|her|him|them|this|that|the\s+\w+)\s+(?:on|onto|against|in\s+front\s+of)"
            r"\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:background|backdrop)\b"
            r"|\b(?:make|change|turn|colou?r|paint|fill)\s+(?:the|its|her|his|their)\s+background\s+(?:to\s+|into\s+|with\s+)?"
            rf"(?:an?\s+)?(?:{COLOURS})\b"
            r"|\b(?:add|give\s+(?:it|her|him|them))\s+(?:an?\s+)?(?:\w+\s+)?(?:background|backdrop)\b",
            re.I,
        ),
        NO_BACKDROP,
        alone=True,
        on_an_image=True,
        tool="Remove the background",
    ),
    # "make the lines thicker" after an edge map (the model drew the straight lines of the photo)
    _BeyondTheTools(
        re.compile(
            r"\b(?:thicker|thinner|bolder|heavier)\s+(?:lines|edges|outlines?|strokes)\b"
            r"|\b(?:lines|edges|outlines?|strokes)\s+(?:\w+\s+){0,2}(?:thicker|thinner|bolder|heavier)\b"
            # "make them thicker" (the model resized the edge map)
            r"|^\W*make\s+(?:them|it|these|those)\s+(?:a\s+(?:bit|little)\s+|much\s+)?(?:thicker|thinner|bolder|heavier)"
            r"(?:\s+please)?\W*$",
            re.I,
        ),
        NO_LINE_WIDTH,
        alone=True,
        on_an_image=True,
    ),
    # "cut it in half", "split the photo into two halves" (the model cropped 1, 2, 3, 4)
    _BeyondTheTools(
        re.compile(
            r"\b(?:cut|split|divide|chop|slice)\s+(?:it|this|that|them|(?:the|this|that|my)\s+(?:\w+\s+)?"
            r"(?:image|photo|picture|pic|one))\s+(?:in|into)\s+(?:half|halves|two|2)\b",
            re.I,
        ),
        NO_SPLIT,
        alone=True,
        on_an_image=True,
        tool="Crop Image",
    ),
    # "can you straighten it?" (the model resized the photo to 300 x 300), "rotate it so it's upright" (it rotated 30)
    _BeyondTheTools(
        re.compile(  # not with the angle said ("straighten it by rotating it -30 degrees", "turn it upright by 90")
            r"^(?!.*(?:\d|\bdegrees?\b|\bupside\b|\bsideways\b)).*(?:"
            r"\b(?:straighten|level|deskew|un-?tilt)\b"
            r"|\bmake\s+it\s+(?:straight|level|upright)\b"
            r"|\b(?:rotate|turn)\b.*\b(?:upright|straight|level|right\s+way(?:\s+(?:up|round|around))?)\b)"
            # "rotate it so 12 is at the top" (the model rotated by 12): what is up, not an angle
            r"|^(?!.*(?:\bdegrees?\b|°)).*\b(?:rotate|turn)\b.*\bso\s+(?:that\s+)?(?:the\s+)?\w+(?:\s+\w+)?\s+(?:is|are|points?)\s+"
            r"(?:at\s+the\s+top|on\s+top|up|upright|straight|level)\b",
            re.I,
        ),
        NO_STRAIGHTEN,
        alone=True,
        on_an_image=True,
        tool="Rotate Image",
    ),
    # "... then save it" (plan mode left it out unanswered); a request of that alone is answered from the files
    # (agent/image_facts.py: SAVED_ANSWER)
    _BeyondTheTools(
        re.compile(
            r"^\W*(?:(?:and|then|also|please)[,]?\s+)*(?:save|download|export|store)\s+(?:it|this|that|them|these"
            r"|(?:the|this|that|my)\s+(?:\w+\s+)?(?:image|images|result|results|picture|photo|file|edit|output|map|one))"
            r"(?:\s+(?:for\s+me|too|somewhere|please))*\W*$",
            re.I,
        ),
        SAVED_AS_MADE,
        alone=True,
        on_an_image=False,
    ),
    # "put a frame around it", "add a white border" (the model blurred a box of 1, 1, 1, 2)
    _BeyondTheTools(
        re.compile(
            r"\b(?:add|put|draw|place|give\s+(?:it|this|the\s+\w+))\s+(?:an?\s+|some\s+|the\s+)?(?:\w+\s+){0,2}"
            r"(?:frame|border)s?\b|\bframe\s+(?:it|this|that|the\s+(?:image|photo|picture|pic))\b",
            re.I,
        ),
        NO_FRAME,
        alone=True,
        on_an_image=False,
    ),
    # "make it round", "crop it into a circle", "round the corners" (the model rotated the crop by 3 degrees)
    _BeyondTheTools(
        re.compile(
            r"\b(?:make|crop|cut)\s+(?:it|this|that|them|the\s+\w+)\s+(?:into\s+|to\s+|as\s+)?(?:an?\s+)?"
            r"(?:round|circle|circular|oval)\b|\bround(?:ed)?\s+(?:the\s+|its\s+)?corners\b",
            re.I,
        ),
        NO_ROUND,
        alone=True,
        on_an_image=True,
        tool="Crop Image",
    ),
    # "call it for me", "text this number", "send them an email", "text them that I want to see the flat" (the model
    # read the sign again and answered "I have made the call")
    _BeyondTheTools(
        re.compile(
            r"^\W*(?:(?:please|ok(?:ay)?|now|great|thanks|can\s+you|could\s+you|will\s+you)[,!.]?\s+)*"
            r"(?:(?:phone|call|ring|dial|text|sms)\s+(?:it|them|him|her|this(?:\s+number)?|that(?:\s+number)?|"
            r"the\s+(?:number|phone\s+number|shop|owner|landlord))"
            # "text them that I want to see the flat"
            r"(?:\s+(?:that|saying|to\s+(?:say|tell|ask)|and\s+(?:say|tell|ask))\b[^?]*)?"
            r"|(?:send|write)\s+(?:an?\s+)?(?:email|e-mail|text|sms|message)\s+to\s+(?:it|them|him|her|this|that|the\s+\w+)"
            r"|send\s+(?:it|them|him|her)\s+an?\s+(?:email|e-mail|text|sms|message)"
            # "send it to my email", "email it to me", "print it" (a reading ran, twice)
            r"|(?:send|share|post|upload|email|e-mail|text|print)\s+(?:it|this|that|them|the\s+(?:image|photo|picture|result))"
            r"(?:\s+(?:to|on|via|by)\s+(?:me|my\s+\w+(?:\s+\w+)?|\w+))?"
            # "save the number to my contacts" (the sign was read again)
            r"|(?:save|add|put|store)\s+(?:it|this|that|them|(?:the|this|that|their)\s+(?:phone\s+)?(?:number|address|email))"
            r"\s+(?:to|in|into)\s+(?:my\s+)?(?:contacts|contact\s+list|address\s+book|phone|calendar))"
            r"(?:\s+for\s+me)?(?:\s+please)?\W*$",
            re.I,
        ),
        NO_CALLS,
        alone=True,
        on_an_image=False,
    ),
    # "delete it" (the model removed the background)
    _BeyondTheTools(
        re.compile(
            r"^\W*(?:(?:please|ok(?:ay)?|now|can\s+you|could\s+you)[,!.]?\s+)*(?:delete|discard|trash|erase)\s+"
            r"(?:it|this|that|them|(?:the|this|that|my|all(?:\s+the|\s+my)?)\s+(?:file|image|photo|picture|result|cop(?:y|ie))s?"
            # "delete the lines one", "remove the edge map" (the model removed the photo's background), "delete the
            # cat photo" ("That needs Remove Something From The Photo")
            r"|(?:the|my)\s+(?:\w+\s+){1,2}(?:one|map|image|photo|picture|pic|file|upload|version|copy)s?)"
            r"(?:\s+(?:for\s+me|now|from\s+(?:here|the\s+server|your\s+(?:server|computer|disk))))?(?:\s+please)?\W*$",
            re.I,
        ),
        NO_DELETE,
        alone=True,
        on_an_image=True,
    ),
    # "blur everything except her face", "blur the rest but keep the cat sharp", "blur the background" (Blur Region
    # takes one box; asked to blur the background, the model blurred the cat)
    _BeyondTheTools(
        re.compile(
            r"\bblur\b.*\b(?:everything|all\s+of\s+it|it\s+all|the\s+rest|the\s+whole\s+(?:image|photo|picture))\b.*"
            r"\b(?:except|but|other\s+than|apart\s+from|besides|save|keep)\b"
            # "crop the face and blur the rest": the model blurred the face
            r"|\bblur\s+(?:out\s+)?(?:the\s+rest|everything\s+else|all\s+the\s+rest|all\s+else)\b"
            r"|^(?!\s*how\b).*\bblur\s+(?:out\s+)?(?:the|its|her|his|their|my)\s+background\b"
            # "how do I blur the background?" here, not in another program (advice: the model's)
            r"|^\W*how\s+(?:do|can|could|would|should)\s+(?:i|we|you)\s+blur\s+(?:out\s+)?(?:the|its|her|his|their|my)"
            r"\s+background(?:\s+(?:here|of\s+(?:this|the|my)\s+\w+|in\s+(?:this|the|my)\s+(?:image|photo|picture|pic)))?"
            r"\W*$",
            re.I,
        ),
        NO_BLUR_ALL_BUT,
        alone=False,
        on_an_image=True,
        tool="Blur Region",
    ),
)


def blurs_all_but_a_part(request: str) -> bool:
    """Whether ``request`` asks to blur all of the picture but a part (which Blur Region's one box cannot): "blur
    everything except the phone number" had blurred the phone number alone."""
    return any(limit.answer == NO_BLUR_ALL_BUT and limit.asks.search(request) for limit in _BEYOND)


def beyond_the_tools(request: str, *, only_that: bool, has_image: bool, loaded: Sequence[str]) -> str | None:
    """The answer to ``request`` when it asks for what no tool here does (to flip or mirror the image, to convert
    its file format, to blur all of it but a part), or ``None``; ``only_that``: whether it asks for nothing else,
    ``has_image``: whether the conversation has an image, ``loaded``: the tools' names."""
    for beyond in _BEYOND:
        if (
            beyond.asks.search(request)
            and (only_that or not beyond.alone)
            and (has_image or not beyond.on_an_image)
            and (not beyond.tool or beyond.tool in loaded)
        ):
            return beyond.answer
    return None


# The joining words left at the start of what is kept once a part is left out ("and show me the edges")
_LEADING_JOIN = re.compile(r"^\s*(?:(?:and|then|also|,)\s+)+", re.IGNORECASE)


def without_parts_beyond_the_tools(request: str, *, has_image: bool, loaded: Sequence[str]) -> tuple[str, list[str]]:
    """``request`` less its parts that ask for what no tool here does (:func:`beyond_the_tools`), and their answers;
    ``request`` itself and no answers when no part, or every part, asks for such a thing (a request of that alone
    is answered before any plan). Plan mode plans the rest: asked to "flip it and show me the edges", the planner had
    rotated the photo by 30 degrees; asked to "blur her face and add a caption that says hello", it read the
    photo."""
    kept, answers = [], []
    for part in request_parts(request):
        answer = beyond_the_tools(part, only_that=True, has_image=has_image, loaded=loaded)
        if answer is None:
            kept.append(part)
        elif answer not in answers:
            answers.append(answer)
    if not answers or not kept:
        return request, []
    return _LEADING_JOIN.sub("", ", ".join(kept)), answers
