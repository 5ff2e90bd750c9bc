"""A request in another European language than English, answered with a line that says so.

The embedded model and the agent's rules understand English (and the Chinese joining words of GPT4Tools' data). Asked
"gira la imagen 90 grados", the model answered "Graja la ferentes."; asked "merci, maintenant recadre la moitié
gauche", it ran Detection and answered in broken French. A request of three words or more with no English word in
it, most of whose words are common words of one other language, gets one line that names the language and gives
English examples, before the model runs.
"""

from __future__ import annotations

import re

ONLY_ENGLISH = (
    "I can only follow requests in English here, and this looks like {language}. For example: "
    '"rotate it 90 degrees", "show me the edges", "blur her face", "what does the sign say?".'
)

# Common English words of requests: one of them makes a request English ("rotate la imagen" is the model's to read)
_ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "is",
        "are",
        "be",
        "of",
        "to",
        "and",
        "or",
        "in",
        "on",
        "at",
        "with",
        "for",
        "from",
        "by",
        "me",
        "my",
        "you",
        "your",
        "i",
        "we",
        "can",
        "could",
        "would",
        "will",
        "please",
        "what",
        "which",
        "who",
        "how",
        "why",
        "where",
        "when",
        "do",
        "does",
        "did",
        "not",
        "no",
        "yes",
        "show",
        "make",
        "give",
        "tell",
        "find",
        "rotate",
        "crop",
        "blur",
        "resize",
        "read",
        "draw",
        "detect",
        "remove",
        "turn",
        "edges",
        "lines",
        "pose",
        "sketch",
        "depth",
        "face",
        "faces",
        "cat",
        "person",
        "sign",
        "text",
        "image",
        "photo",
        "picture",
        "pic",
        "size",
        "bigger",
        "smaller",
        "half",
        "top",
        "bottom",
        "left",
        "right",
        "degrees",
        "now",
        "then",
        "again",
        "thanks",
        "thank",
        "hi",
        "hello",
        "ok",
        "okay",
    ]
)
# Common words of each language that English requests do not use
_WORDS = {
    "Spanish": "el la los las que del al con esta este estas para por una uno puedes puede hacer gira girar imagen "
    "foto fotos es y mitad izquierda derecha recorta recortar grados gracias hola dime cuál cual qué como cómo muestra "
    "muéstrame desenfoca quita fondo cara",
    "French": "le la les des du une est et avec pour sur dans cette ce que qui moitié recadre recadrer merci "
    "maintenant peux pouvez tu vous gauche droite tourne tourner degrés bonjour montre montrez floute flouter visage "
    "fond quoi",
    "German": "der die das und ist mit ein eine den dem bitte bild foto auf für nicht ich kannst du drehe drehen "
    "grad hälfte linke rechte zeige zeig mir gesicht hintergrund danke hallo was wie",
    "Italian": "il lo gli di che con per una questa questo immagine puoi ruota ruotare gradi grazie ciao metà "
    "sinistra destra mostra mostrami viso sfondo cosa come",
    "Portuguese": "os as da do das dos com uma esta este imagem você pode gire girar graus obrigado obrigada olá "
    "metade esquerda direita mostre rosto fundo",
}
_LANGUAGE_WORDS = {language: frozenset(words.split()) for language, words in _WORDS.items()}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_MIN_WORDS = 3


def other_language(request: str) -> str | None:
    """The language ``request`` is written in when it is plainly not English (see the module docstring), else
    ``None``."""
    if _CJK.search(request):
        return None
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(request)))  # "la la land" is two words
    if len(words) < _MIN_WORDS or any(word in _ENGLISH for word in words):
        return None
    hits = {language: sum(word in known for word in words) for language, known in _LANGUAGE_WORDS.items()}
    language = max(hits, key=hits.__getitem__)
    return language if hits[language] >= 2 and 2 * hits[language] >= len(words) else None


def only_english_answer(request: str) -> str | None:
    """:data:`ONLY_ENGLISH` for a request plainly in another language, else ``None``."""
    language = other_language(request)
    return ONLY_ENGLISH.format(language=language) if language else None
