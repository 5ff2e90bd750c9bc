"""No-tool requests with their answers: chit-chat, general knowledge, writing and advice, small computations, image
follow-ups.

Every generator returns ``(request, answer)``; answers are never empty. Requests that mention the image
use :data:`~data_gen.tasks.IMAGE_PLACEHOLDER`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from data_gen.tasks import IMAGE_PLACEHOLDER

CHAT = {
    "en": (
        ("Hi!", "Hello! How can I help you today?"),
        ("Hello there", "Hi! What can I do for you?"),
        ("Good morning!", "Good morning! What would you like to do today?"),
        ("How are you?", "I'm doing well, thank you. How can I help?"),
        ("Thanks a lot", "You're welcome!"),
        ("thank you so much, that's perfect", "Glad it helped! Let me know if you need anything else."),
        ("Who are you?", "I'm GPT4Tools, an assistant that can work with text and images using tools."),
        ("What can you do?", "I can describe images, answer questions about them, edit them and create new ones."),
        ("bye", "Goodbye! Have a great day."),
        ("Tell me a joke.", "Why did the scarecrow win an award? Because he was outstanding in his field."),
        ("Can you keep a secret?", "I don't remember anything outside this conversation, so your secret is safe."),
        ("I'm bored.", "How about we make a picture together? Tell me something you'd like to see."),
        ("ok", "Alright! Tell me whenever you need something."),
        ("Do you like cats?", "I don't have feelings, but many people love cats for their calm company."),
        ("Are you a robot?", "I'm an AI assistant, a computer program rather than a robot."),
        ("What's your name?", "My name is GPT4Tools."),
        ("Nice work!", "Thank you! Happy to help."),
        ("Sorry, I made a mistake.", "No problem at all. What would you like to do instead?"),
        ("Give me a word that rhymes with cat.", "Hat rhymes with cat."),
        ("Say something nice.", "You're asking good questions, and that is how great ideas start."),
        (
            "Recommend a hobby for rainy days.",
            "Try sketching or painting: it's relaxing and you only need paper and a pencil.",
        ),
        (
            "How do I stay focused while studying?",
            "Work in short blocks of 25 minutes, put your phone away and take short breaks.",
        ),
        (
            "Give me a tip for taking better photos.",
            "Use natural light and follow the rule of thirds for a balanced composition.",
        ),
        ("What should I cook tonight?", "A vegetable stir-fry with rice is quick, healthy and easy to make."),
    ),
    "zh": (
        ("你好！", "你好！有什么可以帮你的吗？"),
        ("谢谢你", "不客气！"),
        ("你是谁？", "我是 GPT4Tools，一个能借助工具处理文字和图像的助手。"),
        ("你能做什么？", "我可以描述图片、回答关于图片的问题、编辑图片以及生成新的图片。"),
        ("再见", "再见，祝你有美好的一天！"),
        ("讲个笑话吧。", "为什么数学书总是很忧郁？因为它有太多的问题。"),
        ("早上好", "早上好！今天想做点什么？"),
        ("我有点无聊。", "要不要一起画一张图？告诉我你想看到什么。"),
        ("推荐一个雨天的爱好。", "可以试试画画，只需要纸和笔，很放松。"),
        ("怎么拍出更好的照片？", "尽量使用自然光，并按照三分法构图。"),
    ),
}
FACTS = {
    "en": (
        ("What is the capital of France?", "The capital of France is Paris."),
        ("What is the capital of Japan?", "The capital of Japan is Tokyo."),
        ("What is the capital of Canada?", "The capital of Canada is Ottawa."),
        ("What is the capital of Australia?", "The capital of Australia is Canberra."),
        ("How many days are in a leap year?", "A leap year has 366 days."),
        ("What is the largest planet in the solar system?", "Jupiter is the largest planet in the solar system."),
        ("At what temperature does water boil at sea level?", "Water boils at 100 degrees Celsius at sea level."),
        ("Who wrote Romeo and Juliet?", "William Shakespeare wrote Romeo and Juliet."),
        ("What gas do plants take in from the air?", "Plants take in carbon dioxide from the air."),
        ("How many continents are there?", "There are seven continents."),
        ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au."),
        ("What is the longest river in Africa?", "The Nile is the longest river in Africa."),
        ("How many legs does a spider have?", "A spider has eight legs."),
        ("What colour do you get by mixing blue and yellow?", "Mixing blue and yellow gives green."),
        ("What is the freezing point of water in Fahrenheit?", "Water freezes at 32 degrees Fahrenheit."),
        ("Which ocean is the largest?", "The Pacific Ocean is the largest."),
        ("What does CPU stand for?", "CPU stands for central processing unit."),
        ("What does a Canny edge detector do?", "It finds the edges in an image, where brightness changes sharply."),
        (
            "What is a depth map?",
            "A depth map is an image whose brightness shows how far each point is from the camera.",
        ),
        ("What is image segmentation?", "It splits an image into regions, each belonging to one object or area."),
        ("Which animal is known as the king of the jungle?", "The lion is often called the king of the jungle."),
        ("How many minutes are in a day?", "There are 1440 minutes in a day."),
        ("What is the tallest mountain on Earth?", "Mount Everest is the tallest mountain on Earth."),
        ("What language is spoken in Brazil?", "Portuguese is the main language spoken in Brazil."),
    ),
    "zh": (
        ("中国的首都是哪里？", "中国的首都是北京。"),
        ("一年有多少天？", "平年有 365 天，闰年有 366 天。"),
        ("太阳系最大的行星是什么？", "木星是太阳系最大的行星。"),
        ("水在多少度沸腾？", "在标准大气压下，水在 100 摄氏度沸腾。"),
        ("蜘蛛有几条腿？", "蜘蛛有八条腿。"),
        ("什么是深度图？", "深度图用亮度表示每个点离相机有多远。"),
        ("蓝色和黄色混合是什么颜色？", "蓝色和黄色混合是绿色。"),
        ("世界上最高的山是哪座？", "世界上最高的山是珠穆朗玛峰。"),
    ),
}
# Writing, advice and knowledge requests a person makes of an assistant in passing (drawn with ``writing``, the
# product data): answered in words, never with a tool, whether or not an image is in the conversation.
WRITING = {
    "en": (
        (
            "Write a haiku about the sea.",
            "Waves fold into foam, / salt wind carries the gulls' cries, / the tide keeps its time.",
        ),
        (
            "Write a short poem about autumn.",
            "Red leaves let go of the branch, / the air smells of smoke and rain, / and the year breathes out slowly.",
        ),
        (
            "Can you write a two-line birthday message for my sister?",
            "Happy birthday, sis! May this year bring you as much joy as you bring everyone around you.",
        ),
        (
            "Help me write a polite message asking my manager for Friday off.",
            "Hi, could I take this Friday off? My work is on track and I will hand over anything urgent before "
            "I leave. Thank you!",
        ),
        (
            "Give me three ideas for a rainy weekend.",
            "1. Bake bread or cookies. 2. Have a board game afternoon. 3. Visit a museum or a library.",
        ),
        ("What's a good name for a golden retriever puppy?", "How about Sunny, Maple or Biscuit?"),
        ("Suggest a title for a blog post about hiking.", "Trails, Views and Tired Legs: A Beginner's Guide to Hiking"),
        (
            "How can I make my photos less blurry?",
            "Hold the camera steady or use a tripod, tap to focus on the subject, and add light so the shutter "
            "can be faster.",
        ),
        (
            "Write a caption for a beach holiday post.",
            "Salt in the air, sand in my hair, and nowhere else I'd rather be.",
        ),
        ("Tell me a fun fact about octopuses.", "Octopuses have three hearts and blue blood."),
        (
            "How do I keep basil alive indoors?",
            "Give it a sunny window, water it when the top of the soil is dry, and pinch off the flower buds.",
        ),
        (
            "Explain what a pixel is in one sentence.",
            "A pixel is the smallest dot of colour that makes up a digital image.",
        ),
        (
            "What's the difference between JPEG and PNG?",
            "JPEG compresses photos and loses a little quality; PNG is lossless and can be transparent.",
        ),
        (
            "Write a limerick about a cat.",
            "A cat with a taste for the cream / would plot and would scheme and would dream; / she leapt on the "
            "shelf, / helped herself to herself, / then purred like a small engine of steam.",
        ),
        (
            "Give me a tip for a job interview.",
            "Prepare two short stories about real problems you solved; they answer most questions.",
        ),
        ("Translate 'good morning' into Spanish.", "'Good morning' in Spanish is 'buenos días'."),
        (
            "What's a healthy breakfast idea?",
            "Oatmeal with fruit and a handful of nuts keeps you full and gives steady energy.",
        ),
        (
            "Summarise the plot of Cinderella in one sentence.",
            "A young woman mistreated by her stepfamily goes to a royal ball with a fairy godmother's help, loses "
            "a glass slipper, and the prince finds her with it.",
        ),
        (
            "Write a short thank-you note for a teacher.",
            "Thank you for your patience and encouragement this year. You made learning a joy.",
        ),
        ("How many hours of sleep do adults need?", "Most adults need seven to nine hours of sleep a night."),
        (
            "Recommend a book for a long flight.",
            "Try 'The Martian' by Andy Weir: funny, gripping and hard to put down.",
        ),
        (
            "What should I pack for a day hike?",
            "Water, snacks, a map, sun cream, a rain jacket and a small first-aid kit.",
        ),
        ("Give me a slogan for a bakery.", "Fresh from our oven to your table."),
        (
            "Write one sentence to start a mystery story.",
            "The lighthouse had been dark for ten years, so nobody could explain the light that came on at midnight.",
        ),
        (
            "How do I take a good selfie?",
            "Face a window for soft light, hold the camera a little above eye level and relax your shoulders.",
        ),
        (
            "What's the best way to learn a new language?",
            "Practise a little every day, speak from the start, and learn the most common words first.",
        ),
        (
            "Write a short product description for a handmade mug.",
            "A sturdy stoneware mug, thrown and glazed by hand, that keeps your coffee warm and your mornings calm.",
        ),
        (
            "Any advice for printing photos at home?",
            "Use photo paper, set the printer to its best quality, and let the prints dry before stacking them.",
        ),
        (
            "Explain the rule of thirds for photos.",
            "Imagine a 3 by 3 grid over the frame and place the subject on a line or where two lines cross.",
        ),
        (
            "Write a funny caption for a picture of my dog.",
            "Professional napper, part-time sock thief, full-time good boy.",
        ),
    ),
    "zh": (
        ("写一首关于月亮的短诗。", "月光洒在窗前，/ 夜风轻轻翻书页，/ 远方有人也抬头。"),
        ("给我三个周末在家做的事的建议。", "1. 烤点饼干。2. 看一部老电影。3. 整理照片做一本相册。"),
        ("怎么让照片不那么模糊？", "拿稳手机或用三脚架，先对焦，光线充足时快门更快。"),
        ("帮我写一句生日祝福。", "祝你生日快乐，愿新的一岁平安喜乐、心想事成！"),
    ),
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SPELL_WORDS = (
    "kitchen",
    "garden",
    "picture",
    "elephant",
    "umbrella",
    "mountain",
    "bicycle",
    "window",
    "library",
    "sunflower",
    "harbour",
    "penguin",
    "lantern",
    "breakfast",
    "notebook",
    "rainbow",
    "castle",
    "blanket",
    "tomato",
    "festival",
)


def _arithmetic(rng: random.Random, language: str) -> tuple[str, str]:
    a, b = rng.randint(2, 999), rng.randint(2, 99)
    op = rng.choice(("+", "-", "*"))
    value = {"+": a + b, "-": a - b, "*": a * b}[op]
    if language == "zh":
        return f"{a} {op} {b} 等于多少？", f"{a} {op} {b} = {value}。"
    word = {"+": "plus", "-": "minus", "*": "times"}[op]
    ask = rng.choice((f"What is {a} {word} {b}?", f"Can you compute {a} {op} {b}?", f"{a} {op} {b} = ?"))
    return ask, f"{a} {word} {b} is {value}."


def _units(rng: random.Random, language: str) -> tuple[str, str]:
    amount = rng.randint(2, 250)
    unit, small, factor = rng.choice(
        (("metres", "centimetres", 100), ("kilograms", "grams", 1000), ("hours", "minutes", 60))
    )
    if language == "zh":
        names = {"metres": ("米", "厘米"), "kilograms": ("千克", "克"), "hours": ("小时", "分钟")}[unit]
        return f"{amount} {names[0]}是多少{names[1]}？", f"{amount} {names[0]}等于 {amount * factor} {names[1]}。"
    return f"How many {small} are in {amount} {unit}?", f"There are {amount * factor} {small} in {amount} {unit}."


def _spelling(rng: random.Random, language: str) -> tuple[str, str]:
    word = rng.choice(SPELL_WORDS)
    kind = rng.randint(0, 2)
    if kind == 0:
        return f"Spell '{word}' backwards.", f"'{word}' backwards is '{word[::-1]}'."
    if kind == 1:
        letter = rng.choice(word)
        count = word.count(letter)
        return (
            f"How many times does the letter '{letter}' appear in '{word}'?",
            f"The letter '{letter}' appears {count} time{'s' * (count > 1)} in '{word}'.",
        )
    return f"How many letters are in the word '{word}'?", f"'{word}' has {len(word)} letters."


def _weekday(rng: random.Random, language: str) -> tuple[str, str]:
    index, shift = rng.randrange(7), rng.randint(2, 20)
    day, after = WEEKDAYS[index], WEEKDAYS[(index + shift) % 7]
    return f"If today is {day}, what day is it in {shift} days?", f"In {shift} days it will be {after}."


def _bank(table: dict[str, tuple[tuple[str, str], ...]]) -> Callable[[random.Random, str], tuple[str, str]]:
    def pick(rng: random.Random, language: str) -> tuple[str, str]:
        return rng.choice(table.get(language) or table["en"])

    return pick


def _image_follow_up(rng: random.Random, language: str) -> tuple[str, str]:
    if language == "zh":
        return rng.choice(
            (
                ("我刚才上传的图片叫什么名字？", f"你上传的图片名为 {IMAGE_PLACEHOLDER}。"),
                ("收到图片了吗？", f"收到了，图片是 {IMAGE_PLACEHOLDER}。需要我做什么？"),
                ("先不用处理这张图，谢谢。", "好的，需要的时候随时告诉我。"),
            )
        )
    return rng.choice(
        (
            ("What was the name of the image I sent?", f"The image you sent is named {IMAGE_PLACEHOLDER}."),
            ("Did you get my picture?", f"Yes, I received {IMAGE_PLACEHOLDER}. What would you like me to do with it?"),
            ("Don't do anything with the photo yet, thanks.", "Sure, I'll wait until you tell me what to do."),
            ("Which file are we working on?", f"We are working on {IMAGE_PLACEHOLDER}."),
            (
                "What can you do with this image?",
                "I can describe it, answer questions about it, detect or remove objects, and restyle it.",
            ),
            (
                "Nice photo, right?",
                f"I can't see {IMAGE_PLACEHOLDER} myself, but I can describe it with a tool if you like.",
            ),
        )
    )


# The product data's answers to requests whose usual answer promises abilities: the demo serves whichever tools
# its prompt lists (offline, neither captioning nor question answering), so these answers promise none.
PRODUCT_ANSWERS = {
    "What can you do?": "I can chat, answer questions, and work on images with the tools I have here.",
    "What can you do with this image?": "Tell me what you'd like done with it, and I'll use one of my tools if one fits.",
    "Nice photo, right?": f"I can't see {IMAGE_PLACEHOLDER} myself, but tell me what you'd like to do with it.",
    "你能做什么？": "我可以聊天、回答问题，并用我这里的工具处理图片。",
}

GENERATORS: tuple[Callable[[random.Random, str], tuple[str, str]], ...] = (
    _bank(CHAT),
    _bank(FACTS),
    _arithmetic,
    _units,
    _spelling,
    _weekday,
)


def negative_request(rng: random.Random, language: str, with_image: bool, writing: bool = False) -> tuple[str, str]:
    """One no-tool ``(request, answer)``; with an image in the history a third are image follow-ups. With
    ``writing`` (the product data), writing and advice requests (:data:`WRITING`) join the generators and answers
    that promise abilities become :data:`PRODUCT_ANSWERS`."""
    if with_image and rng.random() < 0.35:
        request, answer = _image_follow_up(rng, language)
    else:
        request, answer = rng.choice(GENERATORS + ((_bank(WRITING),) if writing else ()))(rng, language)
    return request, PRODUCT_ANSWERS.get(request, answer) if writing else answer
