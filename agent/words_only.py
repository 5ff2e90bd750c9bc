"""Requests for words alone: writing, advice and general knowledge, which no tool answers.

A small model that has just run tools in a conversation tends to run another for the next message, even when it
asks for a haiku, three tips for portraits or how edge detection works. When the request is plainly one of these
and points at no picture, the turn's first call gives way to an answer (the model writes it).

The rule is deliberately narrow (a request wrongly read as words-only would lose the tool it needed): it takes an
opening that asks for writing, advice or an explanation, and nothing that points at an image ("this photo",
"rotate it", a file name) or asks for one to be made.
"""

from __future__ import annotations

import re

from agent.image_reference import refers_to_an_image
from agent.read_text import WHAT_IT_MEANS
from agent.result_words import declines, says_there_is_no_image
from agent.text_parts import part_text
from generation.tool_calls import image_names

_TEXTS = (
    r"poem|haiku|limerick|story|message|note|letter|e-?mail|caption|slogan|title|sentence|paragraph|joke|tweet|post"
    r"|ad|advert|advertisement|listing|review"
)
_ASKS_FOR_WORDS = re.compile(
    rf"\b(?:write|compose)\s+(?:me\s+)?(?:a|an|one|two|three|some)\s+(?:[\w-]+\s+){{0,2}}(?:{_TEXTS})\b"
    r"|\b(?:tips?|ideas?|advice)\s+(?:for|on|about)\b"
    r"|\bhow\s+(?:does|do)\s+(?!I\b|you\b)[\w\s-]+?\s+work\b"
    r"|\bexplain\s+(?:what|how|why)\b"
    r"|\bwhat(?:'s|\s+is)\s+the\s+difference\s+between\b"
    r"|\b(?:translate|summari[sz]e)\b",
    re.IGNORECASE,
)
# How to do something in another program or on another device ("how do I blur the background in photoshop?"):
# advice even where it names an edit the tools here make
_HOW_ELSEWHERE = re.compile(
    r"^\W*how\s+(?:do|can|could|would|should|to)\b.*\b(?:in|on|with|using)\s+"
    r"(?!(?:this|that|the|it|its|her|his|here|half|my\s+(?:photo|image|picture|pic))\b)\w",
    re.IGNORECASE,
)
# Asking for an image to be made, or for an edit by name, is a tool's work whatever else the request says.
_IMAGE_WORK = re.compile(
    r"\b(?:generate|draw|paint|render|sketch|rotate|crop|blur|resize|segment|detect)\b", re.IGNORECASE
)


def asks_for_words(request: str) -> bool:
    """Whether ``request`` asks only for writing, advice or an explanation (see the module docstring)."""
    if refers_to_an_image(request) or image_names(request) or WHAT_IT_MEANS.search(request):
        return False  # "summarize the text": of the writing in the picture
    if _HOW_ELSEWHERE.search(request):
        return True
    return not _IMAGE_WORK.search(request) and bool(_ASKS_FOR_WORDS.search(request))


# Writing about a picture: a caption or a title waits for the picture when there is none yet
_OF_A_PICTURE = re.compile(
    r"\b(?:caption|title|alt\s+text)\b|\b(?:post|tweet)\s+(?:for|about|with)\s+(?:this|my|the)\b", re.I
)


def needs_no_picture(request: str) -> bool:
    """Whether ``request`` asks for words alone (:func:`asks_for_words`) that no picture is needed for: with none
    uploaded, "write a short email to my landlord about the broken heater" had been answered "That needs an image"
    (the model called the reading tool); "write a caption for instagram" waits for the photo."""
    return asks_for_words(request) and not _OF_A_PICTURE.search(request)


# A part of the writing read earlier, pointed back at: "that number", "this address", "the same email"
_READ_BACK = re.compile(
    r"\b(?:that|this|the\s+same)\s+(?:phone\s+)?(?:number|e-?mail(?:\s+address)?|website|web\s+address|url)\b",
    re.IGNORECASE,
)


# The place or the offer a sign read is about: "write a short ad for this apartment"
_THE_SIGNS_SUBJECT = re.compile(
    r"\b(?:this|that|the)\s+(?:apartment|flat|place|shop|store|house|room|sign|listing|offer|sale|event|restaurant"
    r"|cafe|café|business)\b",
    re.IGNORECASE,
)
# the words first: after the request, SmolLM2 gave the sign's words back as the ad
SIGN_READS = 'The sign reads "{words}". {request}'


def with_what_was_read(request: str, read: str | None) -> str:
    """``request`` with the part of the writing it points back at written out from the last reading's words
    (``read``), for the model asked without the conversation: asked alone to "write me a text message to send to that
    number asking about the flat" after the sign's number was read, the model asked for an image. A request about
    the place the sign is of ("write a short ad for this apartment") follows the words read."""
    if read and _THE_SIGNS_SUBJECT.search(request) and not _READ_BACK.search(request):
        return SIGN_READS.format(request=request.strip(), words=read)
    pointed = _READ_BACK.search(request)
    if not pointed or not read:
        return request
    said = pointed.group(0)
    words = part_text("phone number" if said.lower().endswith("number") else said, read)
    return f"{request[: pointed.start()]}{words}{request[pointed.end() :]}" if words else request


# "no loaded tool can write a haiku", "no tool does that": a refusal that points at the tools
_NO_TOOL = re.compile(r"\bno\s+(?:loaded\s+)?tools?\b", re.IGNORECASE)


def refuses_words(request: str, answer: str) -> bool:
    """Whether ``answer`` refuses ``request``, a request for words alone (:func:`asks_for_words`), for want of an
    image or a tool: after a few edits, "write me a haiku about coffee" was answered "I don't have an image to work
    on, and no loaded tool can write a haiku about coffee."."""
    refused = declines(answer) or says_there_is_no_image(answer) or bool(_NO_TOOL.search(answer))
    return refused and asks_for_words(request)
