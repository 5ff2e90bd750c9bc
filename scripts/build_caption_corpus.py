"""Write the shipped caption corpus (data_gen/corpus/captions.jsonl) from hand-written scene building blocks.

Each category has sentence frames with named slots; each slot option is a phrase in which the objects a
tool could be asked about are marked with square brackets (``a [golden retriever]``). The brackets are
removed from the caption and become its ``objects``; a share of captions also gets object boxes, and
signs carry the ``text`` written on them. Generation is seeded, so the file is reproducible:

    python scripts/build_caption_corpus.py [--out data_gen/corpus/captions.jsonl] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

_BRACKET_RE = re.compile(r"\[([^\]]+)\]")
_SLOT_RE = re.compile(r"\{(\w+)\}")

PERSON = [
    "a young [woman] in a red [coat]",
    "an elderly [man] with a walking [cane]",
    "a [boy] in a striped [shirt]",
    "a [girl] with a yellow [backpack]",
    "a [man] in a grey [suit]",
    "a [woman] wearing a straw [hat]",
    "a bearded [man] in a denim [jacket]",
    "a [teenager] holding a [skateboard]",
    "two [friends] in matching [scarves]",
    "a [mother] carrying a [baby]",
    "a [chef] in a white [apron]",
    "a [cyclist] in a bright green [helmet]",
    "a [nurse] in blue [scrubs]",
    "a [student] with an open [laptop]",
    "an old [woman] with a knitted [shawl]",
    "a [toddler] in rain [boots]",
    "a [musician] carrying a [guitar] case",
    "a [couple] sharing an [umbrella]",
    "a [police officer] in a reflective [vest]",
    "a [runner] in a blue [tracksuit]",
]
PERSON_ACTION = [
    "walking a [dog] along {street_place}",
    "waiting for a [bus] at {street_place}",
    "reading a [book] on a [bench] in {park_place}",
    "buying [apples] at {market_place}",
    "taking a photo with a [camera] near {landmark}",
    "drinking [coffee] at a small [table] outside {shop}",
    "crossing {street_place}",
    "feeding [pigeons] in {park_place}",
    "talking on a [phone] outside {shop}",
    "riding a [bicycle] through {park_place}",
    "sitting on the [steps] of {landmark}",
    "carrying [shopping bags] out of {shop}",
    "flying a [kite] in {park_place}",
    "painting at an [easel] in {park_place}",
    "stretching next to a [lamp post] on {street_place}",
]
STREET_PLACE = [
    "a busy city street",
    "a quiet cobblestone lane",
    "a wet pavement after the rain",
    "a snowy sidewalk",
    "a crowded crosswalk",
    "a tree-lined avenue",
    "a narrow alley with [graffiti]",
    "a street lined with [parked cars]",
]
PARK_PLACE = [
    "a sunny park",
    "a park full of autumn [leaves]",
    "a garden with blooming [tulips]",
    "a green lawn by a [pond]",
    "a small square with a [fountain]",
    "a park near a [playground]",
]
MARKET_PLACE = ["an outdoor market", "a farmers' market stall", "a night market", "a fruit stand"]
SHOP = ["a bakery", "a bookshop", "a corner café", "a flower shop", "a supermarket", "a train station"]
LANDMARK = ["an old stone church", "a museum", "a clock tower", "a bridge over a river", "a lighthouse"]

ANIMAL = [
    "a golden [retriever]",
    "a black and white [cat]",
    "a small brown [puppy]",
    "a fluffy grey [kitten]",
    "a spotted [dalmatian]",
    "a pair of [horses]",
    "a herd of [cows]",
    "a white [goat]",
    "a flock of [sheep]",
    "a red [fox]",
    "a [deer]",
    "a brown [bear]",
    "a [giraffe]",
    "an [elephant] with its [calf]",
    "a [zebra]",
    "a [parrot] with green feathers",
    "a [duck] and her [ducklings]",
    "a [rabbit]",
    "a [squirrel]",
    "a large [tortoise]",
    "a [swan]",
    "a sleepy [owl]",
    "a [seagull]",
    "a [pony]",
]
ANIMAL_ACTION = [
    "sleeping on {animal_spot}",
    "drinking from {water}",
    "standing in {field}",
    "playing with a [ball] on {animal_spot}",
    "looking out of a [window]",
    "grazing in {field}",
    "resting in the shade of a [tree]",
    "walking across {field}",
    "sitting next to a [food bowl]",
    "chasing a [butterfly] in {field}",
]
ANIMAL_SPOT = ["a wooden [porch]", "a red [sofa]", "a soft [rug]", "a sunny windowsill", "a [blanket]", "the grass"]
WATER = ["a shallow [stream]", "a muddy [puddle]", "a [lake]", "a stone [trough]", "a [river]"]
FIELD = ["a green field", "a meadow of [wildflowers]", "tall dry grass", "a snowy field", "a fenced [paddock]"]

VEHICLE = [
    "a red double-decker [bus]",
    "a yellow [taxi]",
    "a vintage blue [car]",
    "a white delivery [van]",
    "a black [motorcycle]",
    "a green [tractor]",
    "a fire [truck]",
    "a [train]",
    "a city [tram]",
    "a small fishing [boat]",
    "a silver [pickup truck]",
    "an orange [school bus]",
    "a [sailboat] with white sails",
    "a police [car]",
    "a vintage [scooter]",
    "a passenger [airplane]",
    "a cargo [ship]",
    "a [bicycle] with a front [basket]",
]
VEHICLE_ACTION = [
    "parked outside {shop}",
    "driving down {street_place}",
    "waiting at a [traffic light]",
    "crossing a [bridge]",
    "stopped at a [gas station]",
    "moving along {road}",
    "parked in front of a [house] with a [garage]",
    "covered in [snow] on {street_place}",
]
ROAD = ["a winding mountain road", "a coastal highway", "a dusty country road", "a wide motorway at dusk"]
HARBOUR_ACTION = ["moored in a small [harbour]", "sailing past a [lighthouse]", "tied to a wooden [pier]"]
SKY_ACTION = ["taking off from a [runway]", "flying over [clouds]", "parked at an airport [gate]"]

FOOD = [
    "a [pizza] topped with [mushrooms] and [olives]",
    "a bowl of [ramen] with a soft-boiled [egg]",
    "a stack of [pancakes] with [blueberries]",
    "a [hamburger] and a side of [fries]",
    "a green [salad] with [tomatoes] and [cucumber]",
    "a plate of [sushi]",
    "a chocolate [cake] with a lit [candle]",
    "a [sandwich] cut in half",
    "a bowl of [strawberries]",
    "a cup of [coffee] next to a [croissant]",
    "a plate of [spaghetti] with [meatballs]",
    "a basket of fresh [bread]",
    "a [taco] with [lime] wedges",
    "two [donuts] with pink icing",
    "a glass of [orange juice] beside a boiled [egg]",
    "a bowl of [soup] with a [spoon]",
    "a [watermelon] cut into slices",
    "a tray of [cookies]",
    "a steaming [teapot] and two [cups]",
    "a plate of grilled [fish] with [lemon]",
]
FOOD_PLACE = [
    "on a wooden [table]",
    "on a white [plate] in a restaurant",
    "on a kitchen [counter]",
    "on a picnic [blanket] in the park",
    "on a [tray] by a [window]",
    "next to a folded [napkin]",
    "on a marble countertop",
    "at a busy [food stall]",
]

ROOM = [
    "a bright [kitchen] with a wooden [table] and four [chairs]",
    "a cosy [living room] with a grey [sofa] and a [fireplace]",
    "a small [bedroom] with a neatly made [bed]",
    "a home [office] with a [desk], a [lamp] and a [computer]",
    "a [bathroom] with a white [bathtub] and a round [mirror]",
    "a classroom with rows of [desks] and a [blackboard]",
    "a library reading room with tall [bookshelves]",
    "a [hotel room] with two [beds] and a [television]",
    "a dining room with a long [table] set for dinner",
    "a [laundry room] with a [washing machine]",
    "a child's [bedroom] full of [toys]",
    "an empty [conference room] with a [projector]",
    "a [hallway] with a [coat rack] and an [umbrella stand]",
    "a [workshop] with [tools] hanging on the wall",
]
ROOM_DETAIL = [
    "with sunlight coming through the [window]",
    "with a [plant] in the corner",
    "with a [cat] asleep on the floor",
    "with a [clock] on the wall",
    "lit by a warm [lamp]",
    "with a striped [rug] on the floor",
    "with a [vase] of [flowers]",
    "with a [painting] above the [shelf]",
]

LANDSCAPE = [
    "a snow-capped [mountain] above a calm [lake]",
    "a sandy [beach] with turquoise [waves]",
    "a pine [forest] covered in morning [fog]",
    "a desert with tall [sand dunes]",
    "a green [valley] with a winding [river]",
    "a rocky [coastline] with a [lighthouse]",
    "a [waterfall] falling into a deep [pool]",
    "rolling [hills] dotted with [sheep]",
    "a field of [sunflowers]",
    "a frozen [lake] surrounded by [trees]",
    "a rice [terrace] on a steep [hillside]",
    "an autumn [forest] with a narrow [path]",
    "a canyon with red [cliffs]",
    "a tropical [island] with [palm trees]",
    "a wide [meadow] with a lone [tree]",
    "a [volcano] with [smoke] rising from the top",
]
LANDSCAPE_LIGHT = [
    "at sunrise",
    "under a cloudy sky",
    "at sunset",
    "under a bright blue sky",
    "on a misty morning",
    "beneath a starry night sky",
    "after a summer storm",
    "in the middle of winter",
]

SIGN = [
    ("a red [stop sign]", "STOP"),
    ("a green [street sign]", "MAIN ST"),
    ("a blue [street sign]", "OAK AVENUE"),
    ("a wooden [sign]", "FRESH EGGS"),
    ("a neon [sign]", "OPEN 24 HOURS"),
    ("a chalkboard [menu]", "SOUP OF THE DAY: TOMATO"),
    ("a yellow [warning sign]", "SLIPPERY WHEN WET"),
    ("a shop [banner]", "BIG SALE 50% OFF"),
    ("a [sign]", "NO PARKING"),
    ("a white [road sign]", "SPEED LIMIT 30"),
    ("a hand-painted [sign]", "LEMONADE 1$"),
    ("a [poster]", "CONCERT TONIGHT"),
    ("a metal [plaque]", "EST. 1892"),
    ("a [sign] on the door", "PULL"),
    ("a train station [board]", "PLATFORM 4"),
    ("a bakery [sign]", "HOT BREAD"),
    ("a [sign]", "KEEP OFF THE GRASS"),
    ("a [billboard]", "DRINK MORE WATER"),
    ("a [license plate]", "KX21 ABC"),
    ("a [sign] above the entrance", "WELCOME"),
    ("a [label] on a jar", "HONEY"),
    ("a taped [note]", "BACK IN 5 MINUTES"),
    ("a [sign] at the trailhead", "BEAR COUNTRY"),
    ("a bus stop [sign]", "ROUTE 12"),
]
SIGN_PLACE = [
    "at a quiet intersection",
    "next to a [fence] on a country road",
    "in a shop [window]",
    "outside {shop}",
    "on a brick [wall]",
    "beside a [parking lot]",
    "by the entrance of a [park]",
    "above a [door] on {street_place}",
    "on a wooden [post]",
]

SPORT = [
    "a [soccer player] kicking a [ball] on {pitch}",
    "a [tennis player] serving on a clay [court]",
    "two [basketball players] jumping for the [ball]",
    "a [surfer] riding a large [wave]",
    "a [skier] racing down a snowy [slope]",
    "a [skateboarder] doing a trick on a [ramp]",
    "a [baseball player] swinging a [bat]",
    "a group of [runners] crossing a finish [line]",
    "a [swimmer] diving into a [pool]",
    "a [climber] scaling a steep rock [wall]",
    "a [golfer] putting on a green with a [flag]",
    "a team of [rowers] in a narrow [boat]",
    "a [boy] throwing a [frisbee] to a [dog]",
    "a [volleyball] match on {pitch}",
]
PITCH = ["a muddy field", "a sandy beach", "an indoor court", "a school playing field", "a floodlit stadium"]
SPORT_TAIL = [
    "while [spectators] cheer",
    "on a sunny afternoon",
    "in the rain",
    "in front of a large [crowd]",
    "as the sun goes down",
    "during a local tournament",
]

KIDS = [
    "two [children] building a [sandcastle] on the beach",
    "a [girl] blowing out candles on a birthday [cake]",
    "a [boy] splashing in a [puddle] in yellow [boots]",
    "[kids] playing on a [slide] at the [playground]",
    "a [father] pushing a [stroller] through {park_place}",
    "a [grandmother] reading a [story book] to a [child]",
    "a [family] having a [picnic] in {park_place}",
    "a [baby] sitting in a high [chair] with a [spoon]",
    "a [girl] hugging a large [teddy bear]",
    "[children] in [costumes] at a street parade",
    "a [boy] feeding [ducks] at {water}",
    "two [sisters] drawing with [chalk] on the pavement",
]
KIDS_TAIL = ["", "on a warm afternoon", "while a [dog] watches", "on a cold winter day", "under a big [umbrella]"]

NIGHT = [
    "a city skyline lit up at night with a tall [tower]",
    "a busy [street] at night full of glowing [signs]",
    "a [ferris wheel] lit up against the night sky",
    "a [campfire] with [friends] sitting around it",
    "a quiet [harbour] at night with [boats] reflecting the lights",
    "[fireworks] exploding over a [river]",
    "a [lantern] glowing on a wooden [table]",
    "a [car] with its [headlights] on in the fog",
]
NIGHT_TAIL = ["", "in light rain", "on a clear night", "seen from a [balcony]", "just after midnight"]


def _categories() -> list[tuple[str, list[str], dict[str, list[str]]]]:
    """(category, sentence frames, slot options) for every scene category."""
    places = {
        "street_place": STREET_PLACE,
        "park_place": PARK_PLACE,
        "market_place": MARKET_PLACE,
        "shop": SHOP,
        "landmark": LANDMARK,
        "animal_spot": ANIMAL_SPOT,
        "water": WATER,
        "field": FIELD,
        "road": ROAD,
        "pitch": PITCH,
    }
    return [
        (
            "people",
            ["{person} {person_action}.", "{person} {person_action} on a {weather} day."],
            {
                "person": PERSON,
                "person_action": PERSON_ACTION,
                "weather": ["sunny", "rainy", "cold", "windy", "foggy", "warm"],
                **places,
            },
        ),
        (
            "animals",
            ["{animal} {animal_action}.", "Close-up of {animal} {animal_action}."],
            {
                "animal": ANIMAL,
                "animal_action": ANIMAL_ACTION,
                **places,
            },
        ),
        (
            "vehicles",
            ["{vehicle} {vehicle_action}.", "{vehicle} {vehicle_action} in the late afternoon."],
            {
                "vehicle": VEHICLE,
                "vehicle_action": VEHICLE_ACTION,
                **places,
            },
        ),
        (
            "boats_planes",
            ["{boat} {harbour_action}.", "{plane} {sky_action}."],
            {
                "boat": ["a small fishing [boat]", "a [sailboat] with white sails", "a red [kayak]", "a [ferry]"],
                "harbour_action": HARBOUR_ACTION,
                "plane": ["a passenger [airplane]", "a small propeller [plane]", "a red [helicopter]"],
                "sky_action": SKY_ACTION,
            },
        ),
        (
            "food",
            ["{food} {food_place}.", "Overhead view of {food} {food_place}."],
            {
                "food": FOOD,
                "food_place": FOOD_PLACE,
            },
        ),
        (
            "rooms",
            ["{room} {room_detail}.", "Interior of {room} {room_detail}."],
            {
                "room": ROOM,
                "room_detail": ROOM_DETAIL,
            },
        ),
        (
            "landscapes",
            ["{landscape} {light}.", "A view of {landscape} {light}."],
            {
                "landscape": LANDSCAPE,
                "light": LANDSCAPE_LIGHT,
            },
        ),
        ("sports", ["{sport} {sport_tail}."], {"sport": SPORT, "sport_tail": SPORT_TAIL, **places}),
        ("kids", ["{kids} {kids_tail}."], {"kids": KIDS, "kids_tail": KIDS_TAIL, **places}),
        ("night", ["{night} {night_tail}."], {"night": NIGHT, "night_tail": NIGHT_TAIL}),
    ]


def _expand(frame: str, slots: dict[str, list[str]], rng: random.Random) -> str:
    """Fill every slot of ``frame`` (recursively) with a random option."""
    while match := _SLOT_RE.search(frame):
        frame = frame[: match.start()] + rng.choice(slots[match.group(1)]) + frame[match.end() :]
    return frame


def _finish(marked: str) -> tuple[str, list[str]]:
    """Strip the object brackets; return the caption and its objects (first mention order, unique)."""
    objects = list(dict.fromkeys(_BRACKET_RE.findall(marked)))
    text = re.sub(r"\s+", " ", _BRACKET_RE.sub(r"\1", marked)).replace(" .", ".").strip()
    return text[0].upper() + text[1:], objects


def _boxes(objects: list[str], size: tuple[int, int], rng: random.Random) -> list[dict]:
    """Plausible boxes (left, top, right, bottom) for up to four objects of a ``size`` image."""
    width, height = size
    boxes = []
    for name in objects[:4]:
        w, h = rng.randint(width // 8, width // 2), rng.randint(height // 8, height // 2)
        left, top = rng.randint(0, width - w), rng.randint(0, height - h)
        boxes.append({"label": name, "box": [left, top, left + w, top + h]})
    return boxes


def _sign_scenes(rng: random.Random, count: int) -> list[tuple[str, list[str], str]]:
    seen, scenes = set(), []
    slots = {"shop": SHOP, "street_place": STREET_PLACE}
    while len(scenes) < count:
        sign, text = rng.choice(SIGN)
        place = _expand(rng.choice(SIGN_PLACE), slots, rng)
        verb = rng.choice(["reading", "that says", "with the words", "saying"])
        caption, objects = _finish(f'{sign} {verb} "{text}" {place}.')
        if caption not in seen:
            seen.add(caption)
            scenes.append((caption, objects, text))
    return scenes


def build_corpus(seed: int = 0, per_category: int = 110, signs: int = 140, box_share: float = 0.4) -> list[dict]:
    """The caption records: ``id``, ``caption``, ``objects``, ``size`` and, for some, ``boxes`` / ``text``."""
    rng = random.Random(seed)
    scenes: list[tuple[str, str, list[str], str | None]] = []
    for category, frames, slots in _categories():
        seen: set[str] = set()
        attempts = 0
        while len(seen) < per_category and attempts < per_category * 50:
            attempts += 1
            caption, objects = _finish(_expand(rng.choice(frames), slots, rng))
            if caption not in seen and objects:
                seen.add(caption)
                scenes.append((category, caption, objects, None))
    scenes += [("signs", caption, objects, text) for caption, objects, text in _sign_scenes(rng, signs)]
    records = []
    for index, (category, caption, objects, text) in enumerate(scenes):
        size = rng.choice([(640, 480), (800, 600), (1024, 768), (480, 640), (512, 512)])
        record = {"id": f"{category}-{index:04d}", "caption": caption, "objects": objects, "size": list(size)}
        if rng.random() < box_share:
            record["boxes"] = _boxes(objects, size, rng)
        if text:
            record["text"] = text
        records.append(record)
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "data_gen/corpus/captions.jsonl"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    records = build_corpus(args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    print(f"wrote {len(records)} captions to {out}")


if __name__ == "__main__":
    main()
