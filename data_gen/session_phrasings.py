"""Hand-written phrasings of the demo-shaped sessions (``data_gen/sessions.py``), English.

Slots as in :mod:`data_gen.phrasings`, plus ``{ref}`` (how the request points at an image: "it", "the result",
"the original", a file name), ``{label}`` (an object a detector reported), ``{file}`` and ``{tool}``. Every bank
is split by :func:`data_gen.phrasings.phrasing_pool` when phrasing is held out for the test and demo splits.
"""

from __future__ import annotations

# How a request points at an image, by what the image is to the conversation.
REFERENCES = {
    "upload": ("this image", "the photo", "this picture", "it", "my photo", "the image", "this"),
    "result": ("it", "the result", "that", "the new image", "this one", "that image", "the output"),
    "original": (
        "the original",
        "the original photo",
        "the original image",
        "my original picture",
        "the photo I uploaded",
        "the first image",
    ),
    "first": ("the first photo", "the first image", "the earlier picture", "the other photo"),
    "second": ("the new photo", "the second image", "the latest picture", "the one I just sent"),
}
# Words that may open a request that goes on from the last result.
CONTINUATIONS = ("Now", "Next,", "Then", "OK, now", "Great, now", "And now")

# Follow-ups that change one argument of the last call (same tool, same input image), by tool.
REDO_FRAMES: dict[str, tuple[str, ...]] = {
    "Rotate Image": (
        "Actually, make it {angle} degrees instead.",
        "Try {angle} degrees instead.",
        "Hmm, rotate it by {angle} instead",
        "No, {angle} degrees please.",
        "Can you do {angle} degrees instead?",
        "Make that {angle} degrees.",
        "wrong way, {angle} degrees instead",
    ),
    "Resize Image": (
        "Make it {width} by {height} instead.",
        "Actually I need {width}x{height}.",
        "Try {width}x{height} instead",
        "Can it be {width} x {height} pixels instead?",
        "No, {width} by {height} please.",
        "hmm, {width}x{height} instead",
    ),
    "Crop Image": (
        "Crop it to {l},{t},{r},{b} instead.",
        "Actually, use the box {l}, {t}, {r}, {b}.",
        "Make the crop {l},{t},{r},{b} instead",
        "No, crop {l} {t} {r} {b} instead.",
    ),
    "Blur Region": (
        "Blur {l},{t},{r},{b} instead.",
        "Wrong spot, blur {l}, {t}, {r}, {b} instead.",
        "Actually, blur the area {l},{t},{r},{b} instead",
    ),
    "Extend An Image": ("Make it {size} instead.", "Extend it to {size} instead.", "Actually, {size} please."),
    "Instruct Image Using Text": (
        "Actually, {edit} instead.",
        "Hmm, try this instead: {edit}.",
        "No, {edit}.",
        "Can you {edit} instead?",
    ),
    "Generate Image From User Input Text": (
        "Now draw {prompt} instead.",
        "Make it {prompt} instead.",
        "Try again with {prompt}.",
        "Hmm, I'd rather have {prompt}.",
    ),
    "Replace Something From The Photo": (
        "Use {rep} instead.",
        "Actually, put {rep} there instead.",
        "Hmm, make it {rep} instead.",
    ),
    "Detect the Give Object": (
        "Now the {obj}.",
        "And the {obj}?",
        "What about the {obj}?",
        "Do the same for the {obj}.",
    ),
    "Segment the given object": ("Now the {obj}.", "Do the same for the {obj}.", "And the {obj} too?"),
    "Remove Something From The Photo": ("Now the {obj} instead.", "Actually, remove the {obj} instead."),
}
# Conditioned generators: a new prompt for the same condition image.
REDO_CONDITIONED_FRAMES = (
    "Make it {prompt} instead.",
    "Same {cond}, but {prompt} this time.",
    "Try again with {prompt}.",
    "Now {prompt} instead, please.",
)
# The human supplies a condition map and asks for a new picture shaped by it (the map is not made again).
MAP_FRAMES = (
    "Here's a {cond} I made. Turn it into {prompt}.",
    "This is a {cond}: draw {prompt} from it.",
    "I drew this {cond}, make it {prompt}",
    "use my {cond} to generate {prompt}",
    "Make {prompt} with this {cond}.",
    "This image is already a {cond}. Generate {prompt} that follows it.",
    "Can you render {prompt} from the {cond} I just uploaded?",
    "Take this {cond} and make a picture of {prompt}.",
)
# A new picture from a map a tool made earlier in the conversation.
MAP_FOLLOW_UP_FRAMES = (
    "Now draw {prompt} from {ref}.",
    "Use {ref} to make {prompt}.",
    "Now turn that {cond} into {prompt}.",
    "Great, now generate {prompt} with that {cond}.",
    "Make {prompt} that follows {ref}.",
)
# Questions about what an image shows (only a tool can answer them): (question, the tool's answer when the
# caption gives it, else ""). ``{obj}`` is an object of the caption.
CONTENT_QUESTIONS = (
    ("What colour is the {obj}?", ""),
    ("What color is the {obj}?", ""),
    ("How many {obj}s are there?", ""),
    ("How many people are in the picture?", ""),
    ("What's the weather like?", ""),
    ("Is it sunny?", ""),
    ("What time of day is it?", ""),
    ("What objects are in this image?", ""),
    ("What is the {obj} doing?", ""),
    ("Is the {obj} big or small?", ""),
    ("Where is the {obj}?", ""),
    ("What is next to the {obj}?", ""),
    ("Is this indoors or outdoors?", ""),
    ("What is the main subject?", "{first}"),
    ("Is there a {obj}?", "yes"),
    ("Is there a {obj} in it?", "yes"),
    ("What is the {obj} made of?", ""),
    ("Does the {obj} look new or old?", ""),
    ("What animal is this?", ""),
    ("Is anyone smiling?", ""),
)
QUESTION_FRAMES = (
    "{question}",
    "Quick question: {question}",
    "{question} I can't tell.",
    "hey, {question_lc}",
    "Looking at {ref}: {question}",
    "{question} (in {ref})",
    "Can you check {ref}? {question}",
)
ANSWERED_QUESTION = ("The answer is: {answer}.", "{answer_cap}.", "According to the image: {answer}.")
# Reading the text in an image.
READ_FRAMES = (
    "What does the sign say?",
    "Read the text on {ref}.",
    "What's written here?",
    "Can you read what it says?",
    "what does it say",
    "Read me the words in {ref}.",
    "Is there any text in {ref}? Read it out.",
    "Transcribe the writing in {ref}.",
    "What does the text in {ref} say?",
    "I can't read the writing, what does it say?",
)
READ_ANSWERS = ('It says "{text}".', 'The text reads "{text}".', 'The sign says "{text}".')
NO_TEXT_ANSWERS = ("I could not find any text in {file}.", "There is no readable text in {file}.")
# Every object, with boxes (Detection), never a named object made up.
LIST_FRAMES = (
    "List every object in {ref}.",
    "What objects can you find? Give me their boxes.",
    "Detect everything in {ref}.",
    "Find all the objects in {ref} and where they are.",
    "run object detection on {ref}",
    "Are there any faces in here? Show me where.",
    "Box every object you can find.",
    "What can the detector find in {ref}?",
)
LIST_ANSWERS = ("I found these objects: {boxes}.", "Objects detected: {boxes}.", "The detector found: {boxes}.")
FIND_FRAMES = (
    "Find the {obj}.",
    "Where is the {obj}? Box it.",
    "Locate the {obj} in {ref}.",
    "Can you detect the {obj}?",
    "draw a box around the {obj}",
)
FIND_ANSWERS = ("I found it here: {boxes}.", "Detected: {boxes}.", "The {obj} is at {boxes}.")
# A box a detector reported earlier, used again (the tool takes the image the detector ran on).
USE_BOX_FRAMES: dict[str, tuple[str, ...]] = {
    "Crop Image": (
        "Crop the {label}.",
        "Cut out the {label}.",
        "Now crop out the {label}.",
        "Crop to the {label}.",
        "Give me just the {label}.",
    ),
    "Blur Region": (
        "Blur the {label}.",
        "Hide the {label} with a blur.",
        "Now blur the {label}.",
        "Blur out the {label}, please.",
        "Can you blur that {label}?",
    ),
}
# Blur or crop faces: Detection finds them, then one call per face.
FACE_FRAMES: dict[str, tuple[str, ...]] = {
    "Blur Region": (
        "Blur the face.",
        "Can you blur the face?",
        "blur the faces",
        "Hide the face before I post this.",
        "Blur out the face in {ref}.",
        "Make the face unrecognisable.",
        "Please blur anyone's face in {ref}.",
    ),
    "Crop Image": ("Crop the face.", "Cut out the face.", "Give me a crop of the face."),
}
# A crop or blur given by its corners, in the terse forms people type.
# Rotations asked by direction, with the sign of the angle the tool takes (it turns counter-clockwise by a positive
# angle; 0 marks "upside down", 180 degrees).
DIRECTION_FRAMES: tuple[tuple[str, int], ...] = (
    ("turn {ref} {angle} degrees clockwise", -1),
    ("Rotate {ref} {angle}° clockwise.", -1),
    ("rotate {ref} {angle} degrees to the right", -1),
    ("Can you turn {ref} {angle} degrees clockwise?", -1),
    ("spin {ref} clockwise by {angle} degrees", -1),
    ("Please rotate {ref} clockwise {angle} degrees.", -1),
    ("turn {ref} {angle} degrees counter-clockwise", 1),
    ("Rotate {ref} {angle} degrees anticlockwise.", 1),
    ("rotate {ref} {angle}° to the left", 1),
    ("Could you turn {ref} to the left by {angle} degrees?", 1),
    ("tilt {ref} {angle} degrees counterclockwise", 1),
    ("flip {ref} upside down", 0),
    ("Turn {ref} upside down, please.", 0),
    ("can you fix {ref}? it's upside down", 0),
)
DIRECTION_ANGLES = ("90", "90", "45", "30", "15", "60", "10", "20")
NUMBERS_FRAMES: dict[str, tuple[str, ...]] = {
    "Crop Image": (
        "crop it to {l},{t},{r},{b}",
        "Crop to {l}, {t}, {r}, {b}.",
        "crop {l} {t} {r} {b}",
        "Cut {ref} down to the box {l},{t},{r},{b}.",
        "Keep only {l},{t} to {r},{b}.",
        "crop from ({l}, {t}) to ({r}, {b})",
        "Crop {ref} to {l},{t},{r},{b}, please.",
    ),
    "Blur Region": (
        "blur {l},{t},{r},{b}",
        "Blur the box {l}, {t}, {r}, {b}.",
        "blur {l} {t} {r} {b} on {ref}",
        "Blur from ({l}, {t}) to ({r}, {b}).",
    ),
}
# Thanks and small talk after tool work, answered without a tool ({file}: the last result, {tool}: the last
# tool, {upload}: the first upload).
THANKS = (
    ("thanks!", "You're welcome!"),
    ("Great, thank you.", "Glad I could help!"),
    ("perfect, that's exactly what I wanted", "Great! Let me know if you need anything else."),
    ("cool", "Glad you like it! What would you like to do next?"),
    ("awesome, thanks a lot", "You're welcome! Happy to help."),
    ("nice!", "Thank you! Anything else?"),
    ("That looks great.", "I'm glad you like it!"),
    ("ok thanks, bye", "Goodbye! Have a great day."),
    ("wow", "Glad it worked out! Anything else I can do?"),
    ("thank you so much", "You're very welcome!"),
    ("lovely, thanks! that's all I needed", "You are welcome! Enjoy the picture."),
    ("ok", "Alright! Tell me whenever you need something else."),
)
SMALL_TALK = (
    ("How did you do that?", "I used the {tool} tool; the result is {file}."),
    ("what's the file called?", "It is {file}."),
    ("Where did you save it?", "I saved it as {file}."),
    ("Which tool did you use?", "I used {tool}."),
    ("Which file was my original photo?", "Your original photo is {upload}."),
    ("What's the name of the image I uploaded?", "The image you uploaded is {upload}."),
)
# A request that needs an image when none was given.
ASK_FOR_IMAGE = (
    "I don't have an image to work on yet. Please upload one first.",
    "Please upload the image first, then ask me again.",
    "There is no image in our conversation yet. Upload one and I'll take care of it.",
    "I need an image for that. Could you upload it?",
)
NO_IMAGE_REFERENCES = ("this image", "my photo", "the picture", "my image", "this photo")
# A request that needs a tool the runtime does not serve: ({ability}, {tool}).
UNSERVED_ANSWERS = (
    "I can't do that here: none of the loaded tools can {ability} ({tool} is not loaded).",
    "Sorry, no loaded tool can {ability}; that needs {tool}, which is not loaded.",
    "I cannot see images myself, and no loaded tool can {ability} ({tool} is not loaded), so I can't do that.",
)
# What a tool lets the assistant do, for the answers above.
ABILITIES: dict[str, str] = {
    "Get Photo Description": "describe an image",
    "Answer Question About The Image": "answer questions about an image",
    "Generate Image From User Input Text": "draw a new image from a description",
    "Instruct Image Using Text": "edit an image from an instruction",
    "Predict Depth On Image": "estimate depth",
    "Predict Normal Map On Image": "estimate a normal map",
    "Segment the Image": "segment an image",
    "Detect the Give Object": "find a named object",
    "Segment the given object": "cut out a named object",
    "Remove Something From The Photo": "remove an object from a photo",
    "Replace Something From The Photo": "replace an object in a photo",
    "Extend An Image": "extend an image",
    "Edge Detection On Image": "find edges",
    "Line Detection On Image": "find straight lines",
    "Hed Detection On Image": "find soft boundaries",
    "Sketch Detection On Image": "make a sketch",
    "Pose Detection On Image": "find a body pose",
    "Remove the background": "remove a background",
    "Rotate Image": "rotate an image",
    "Resize Image": "resize an image",
    "Blur Region": "blur part of an image",
    "Crop Image": "crop an image",
    "Text Detection On Image": "read text in an image",
    "Detection": "detect objects",
}
CONDITIONED_ABILITY = "draw a new image from a {cond}"
