"""Hand-written request phrasings for the template teacher (English and Chinese).

Frames use slots: ``{image}`` (the image: its file name or "this photo"), ``{noun}`` (what an image tool
produces), ``{obj}``, ``{rep}``, ``{question}``, ``{prompt}``, ``{edit}``, ``{size}``, ``{l} {t} {r} {b}``, ``{angle}``,
``{width} {height}``.
Each tool mixes imperative, question, polite, terse and indirect wording; typos are added separately.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

# The parts of every bank of frames when some are held out (``held_out_phrasing``): train and val draw from one,
# test and the demo split from the other.
TRAIN_PHRASING, TEST_PHRASING = "train", "test"

# What each image-to-image tool produces, as the human would name it.
NOUNS: dict[str, dict[str, tuple[str, ...]]] = {
    "Edge Detection On Image": {
        "en": ("edge map", "Canny edge map", "edges", "edge detection result"),
        "zh": ("边缘图", "Canny 边缘图", "边缘检测结果"),
    },
    "Line Detection On Image": {
        "en": ("straight lines", "line drawing", "line map", "line detection result"),
        "zh": ("直线图", "线条图", "直线检测结果"),
    },
    "Hed Detection On Image": {
        "en": ("HED boundary map", "soft edges", "soft boundary map", "HED edges"),
        "zh": ("HED 边界图", "柔和边界图", "软边缘"),
    },
    "Sketch Detection On Image": {
        "en": ("sketch", "scribble version", "black-and-white outline sketch", "line sketch"),
        "zh": ("草图", "涂鸦线稿", "黑白轮廓草图"),
    },
    "Pose Detection On Image": {
        "en": ("human pose", "pose skeleton", "body keypoints", "pose map"),
        "zh": ("人体姿态", "姿态骨架图", "人体关键点"),
    },
    "Predict Depth On Image": {
        "en": ("depth map", "depth estimate", "distance map", "depth"),
        "zh": ("深度图", "深度估计结果", "距离图"),
    },
    "Predict Normal Map On Image": {
        "en": ("normal map", "surface normals", "surface normal map"),
        "zh": ("法线图", "表面法线图"),
    },
    "Segment the Image": {
        "en": ("segmentation", "segmented regions", "segmentation map", "region map"),
        "zh": ("分割图", "图像分割结果", "区域分割图"),
    },
    "Remove the background": {
        "en": ("background-free version", "cut-out with a transparent background", "version without background"),
        "zh": ("去掉背景的版本", "透明背景的抠图"),
    },
}
# Conditioned generators: the kind of condition image they follow.
CONDITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "Generate Image Condition On Canny Image": {"en": ("edge map", "Canny edges"), "zh": ("边缘图",)},
    "Generate Image Condition On Line Image": {"en": ("line drawing", "straight lines"), "zh": ("直线图",)},
    "Generate Image Condition On Soft Hed Boundary Image": {
        "en": ("HED boundary map", "soft edges"),
        "zh": ("HED 边界图",),
    },
    "Generate Image Condition On Sketch Image": {"en": ("sketch", "scribble"), "zh": ("草图",)},
    "Generate Image Condition On Pose Image": {"en": ("pose", "pose skeleton"), "zh": ("姿态图",)},
    "Generate Image Condition On Depth": {"en": ("depth map", "depth"), "zh": ("深度图",)},
    "Generate Image Condition On Normal Map": {"en": ("normal map", "surface normals"), "zh": ("法线图",)},
    "Generate Image Condition On Segmentations": {"en": ("segmentation map", "segmentation"), "zh": ("分割图",)},
}
# What a condition image is called when the conversation introduces one ("A pose skeleton of a man ...").
CONDITION_IMAGES: dict[str, tuple[str, ...]] = {
    "Generate Image Condition On Canny Image": ("edge map", "Canny edge map"),
    "Generate Image Condition On Line Image": ("line drawing", "straight-line drawing"),
    "Generate Image Condition On Soft Hed Boundary Image": ("HED boundary map", "soft edge map"),
    "Generate Image Condition On Sketch Image": ("sketch", "scribble"),
    "Generate Image Condition On Pose Image": ("pose skeleton", "pose image"),
    "Generate Image Condition On Depth": ("depth map", "depth image"),
    "Generate Image Condition On Normal Map": ("normal map", "surface normal map"),
    "Generate Image Condition On Segmentations": ("segmentation map", "map of segments"),
}

IMAGE_OP_FRAMES = {
    "en": (
        "Generate the {noun} of {image}.",
        "Can you show me the {noun} of {image}?",
        "Please extract the {noun} from {image}.",
        "{noun} for {image}",
        "I'd like to see the {noun} of {image}, please.",
        "Could you compute the {noun} of {image} for me?",
        "I need the {noun} of {image} for a project I'm working on.",
        "what would the {noun} of {image} look like",
        "Would you mind producing the {noun} of {image}?",
        "Give me the {noun} of {image}.",
        "Get me a {noun} of {image}",
        "Hey, show the {noun} of {image}",
        "My teacher asked for the {noun} of {image}. Can you make it?",
        "Turn {image} into its {noun}.",
        "{image} -> {noun}, thanks",
        "Is it possible to get the {noun} of {image}?",
    ),
    "zh": (
        "请生成 {image} 的{noun}。",
        "能给我看看 {image} 的{noun}吗？",
        "帮我提取 {image} 的{noun}",
        "我想要 {image} 的{noun}，谢谢。",
        "{image} 的{noun}",
        "可以把 {image} 转成{noun}吗？",
    ),
}
COND_FRAMES = {
    "en": (
        "Use the {cond} {image} to draw {prompt}.",
        "Generate {prompt} following the {cond} in {image}.",
        "Here is a {cond}: {image}. Make it into {prompt}.",
        "Can you create {prompt} based on the {cond} {image}?",
        "Please draw {prompt}, keeping the {cond} of {image}.",
        "{cond} {image} + '{prompt}' -> new image",
        "I'd love a picture of {prompt} that follows the {cond} in {image}.",
        "Could you turn the {cond} {image} into {prompt}?",
        "make {prompt} from this {cond}",
        "Would you generate an image of {prompt} from the {cond} {image}?",
    ),
    "zh": (
        "用{cond} {image} 画出{prompt}。",
        "请根据 {image} 这张{cond}生成一张图：{prompt}",
        "能按照 {image} 的{cond}画一张 {prompt} 吗？",
    ),
}

TOOL_FRAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "Get Photo Description": {
        "en": (
            "What is in {image}?",
            "Describe {image}.",
            "Tell me what {image} shows.",
            "caption {image}",
            "Can you give me a description of {image}?",
            "What's going on in {image}?",
            "Please describe {image} in a sentence.",
            "I can't open {image} right now, what's in it?",
            "Could you tell me what {image} is about?",
            "what does {image} depict",
            "Write a caption for {image}, please.",
            "Summarize the content of {image}.",
        ),
        "zh": ("{image} 里有什么？", "请描述一下 {image}。", "给 {image} 写一句说明。", "这张图 {image} 讲的是什么？"),
    },
    "Answer Question About The Image": {
        "en": (
            "{question} ({image})",
            "Looking at {image}: {question}",
            "About {image}, {question}",
            "Please answer this about {image}: {question}",
            "In {image}, {question}",
            "I have a question about {image}. {question}",
            "{question} Check {image}.",
            "Could you look at {image} and tell me: {question}",
        ),
        "zh": ("关于 {image}：{question}", "看看 {image}，{question}", "请回答关于 {image} 的问题：{question}"),
    },
    "Generate Image From User Input Text": {
        "en": (
            "Draw {prompt}.",
            "Generate an image of {prompt}.",
            "Can you make a picture of {prompt}?",
            "I want a picture of {prompt}.",
            "Please create an image showing {prompt}.",
            "paint {prompt}",
            "Imagine {prompt} and show it to me.",
            "Could you draw me {prompt}, please?",
            "I'm writing a story and need an illustration: {prompt}.",
            "image of {prompt}",
            "Would you generate {prompt} for me?",
            "Show me what {prompt} would look like.",
        ),
        "zh": (
            "画一张{prompt}。",
            "请生成一张图片：{prompt}",
            "能帮我画 {prompt} 吗？",
            "我想要一张 {prompt} 的图片。",
        ),
    },
    "Instruct Image Using Text": {
        "en": (
            "Please {edit} in {image}.",
            "Can you {edit}? The image is {image}.",
            "Edit {image}: {edit}.",
            "I'd love it if you could {edit} for {image}.",
            "{edit}, please ({image})",
            "For {image}, {edit}.",
            "Could you take {image} and {edit}?",
            "{edit} - {image}",
            "I want to change {image}: {edit}.",
        ),
        "zh": ("把 {image} 改一下：{edit}。", "请对 {image} 做如下修改：{edit}", "能不能帮我 {edit}？图片是 {image}。"),
    },
    "Detect the Give Object": {
        "en": (
            "Find the {obj} in {image}.",
            "Where is the {obj} in {image}? Draw a box.",
            "Draw a box around the {obj} in {image}.",
            "Locate every {obj} in {image}.",
            "can u detect the {obj} in {image}",
            "Is there a {obj} in {image}? Show me where it is.",
            "Please mark the {obj} in {image} with a bounding box.",
            "detect {obj} in {image}",
            "I'm looking for the {obj} in {image}, could you point it out?",
        ),
        "zh": ("在 {image} 中找到 {obj}。", "请框出 {image} 里的 {obj}。", "{image} 里的 {obj} 在哪里？"),
    },
    "Segment the given object": {
        "en": (
            "Segment the {obj} in {image}.",
            "Cut out the {obj} from {image}.",
            "Give me a mask of the {obj} in {image}.",
            "Could you isolate the {obj} in {image}?",
            "Please make a segmentation mask for the {obj} in {image}.",
            "mask {obj} in {image}",
            "I only need the {obj} from {image}, can you segment it?",
        ),
        "zh": ("分割出 {image} 中的 {obj}。", "请给 {image} 里的 {obj} 做一个掩码。", "把 {obj} 从 {image} 中抠出来。"),
    },
    "Remove Something From The Photo": {
        "en": (
            "Remove the {obj} from {image}.",
            "Erase the {obj} in {image}.",
            "Get rid of the {obj} in {image}.",
            "Can you make the {obj} disappear from {image}?",
            "I don't want the {obj} in {image}. Please take it out.",
            "remove {obj} from {image}",
            "Could you delete the {obj} from {image} and fill in the background?",
            "Please clean up {image} by removing the {obj}.",
        ),
        "zh": ("把 {image} 里的 {obj} 去掉。", "请从 {image} 中移除 {obj}。", "能把 {obj} 从 {image} 里删掉吗？"),
    },
    "Replace Something From The Photo": {
        "en": (
            "Replace the {obj} in {image} with {rep}.",
            "Swap the {obj} in {image} for {rep}.",
            "Change the {obj} in {image} into {rep}.",
            "Put {rep} where the {obj} is in {image}.",
            "Can you replace the {obj} with {rep} in {image}?",
            "replace {obj} with {rep} ({image})",
            "I'd like {rep} instead of the {obj} in {image}.",
        ),
        "zh": ("把 {image} 里的 {obj} 换成 {rep}。", "请将 {image} 中的 {obj} 替换为 {rep}。"),
    },
    "Extend An Image": {
        "en": (
            "Extend {image} to {size}.",
            "Enlarge the canvas of {image} to {size}.",
            "Make {image} bigger ({size}) and fill in the sides.",
            "Outpaint {image} to {size}.",
            "Can you expand {image} to {size} pixels?",
            "extend {image} {size}",
            "I need {image} at {size}; please paint the missing border.",
        ),
        "zh": ("把 {image} 扩展到 {size}。", "请将 {image} 的画布扩大到 {size}。"),
    },
    "Rotate Image": {
        "en": (
            "Rotate {image} by {angle} degrees.",
            "Turn {image} {angle} degrees.",
            "rotate {image} {angle}",
            "Can you rotate {image} by {angle}°?",
            "{image} is the wrong way round; please turn it {angle} degrees.",
            "I need {image} rotated {angle} degrees counter-clockwise (negative means clockwise).",
            "Please spin {image} by an angle of {angle} degrees.",
        ),
        "zh": (
            "把 {image} 旋转 {angle} 度。",
            "请将 {image} 转 {angle} 度。",
            "{image} 方向不对，帮我旋转 {angle} 度。",
        ),
    },
    "Resize Image": {
        "en": (
            "Resize {image} to {width}x{height}.",
            "Scale {image} to {width} by {height} pixels.",
            "Make {image} {width} pixels wide and {height} pixels tall.",
            "resize {image} {width} {height}",
            "Can you shrink or stretch {image} to width {width}, height {height}?",
            "I need {image} at exactly {width} x {height}; just scale it, don't add anything.",
            "Please change the size of {image} to {width}×{height} px.",
        ),
        "zh": ("把 {image} 缩放到 {width}x{height}。", "请把 {image} 的尺寸改成宽 {width}、高 {height}。"),
    },
    "Blur Region": {
        "en": (
            "Blur the area {l}, {t}, {r}, {b} of {image}.",
            "Blur {image}: left {l}, top {t}, right {r}, bottom {b}.",
            "Hide the part of {image} from ({l}, {t}) to ({r}, {b}).",
            "blur {image} {l} {t} {r} {b}",
            "Can you blur the box {l},{t},{r},{b} in {image}?",
            "There's something private in {image} at x {l} to {r}, y {t} to {b}. Please blur it.",
            "Please smudge out the rectangle between ({l}, {t}) and ({r}, {b}) in {image}.",
        ),
        "zh": (
            "把 {image} 的 {l}, {t}, {r}, {b} 区域模糊掉。",
            "请模糊 {image} 中从 ({l}, {t}) 到 ({r}, {b}) 的区域。",
        ),
    },
    "Crop Image": {
        "en": (
            "Crop {image} to the box {l}, {t}, {r}, {b}.",
            "Cut out the region from ({l}, {t}) to ({r}, {b}) of {image}.",
            "Crop {image}: left {l}, top {t}, right {r}, bottom {b}.",
            "Please crop {image} to x from {l} to {r} and y from {t} to {b}.",
            "crop {image} {l} {t} {r} {b}",
            "Can you keep only the area {l},{t},{r},{b} of {image}?",
            "I just need the part of {image} between ({l}, {t}) and ({r}, {b}).",
        ),
        "zh": ("把 {image} 裁剪到 {l}, {t}, {r}, {b}。", "请裁出 {image} 中从 ({l}, {t}) 到 ({r}, {b}) 的区域。"),
    },
    "Text Detection On Image": {
        "en": (
            "What does the text in {image} say?",
            "Read the sign in {image}.",
            "OCR {image}",
            "Extract the text from {image}.",
            "What's written in {image}?",
            "Can you read the words in {image} for me?",
            "Please transcribe any text you find in {image}.",
            "I can't make out the writing in {image}. What does it say?",
        ),
        "zh": ("{image} 上写了什么字？", "请识别 {image} 中的文字。", "读一下 {image} 里的文字。"),
    },
    "Detection": {
        "en": (
            "Detect all the objects in {image}.",
            "What objects are in {image}? Give me their boxes.",
            "List the things in {image} with their locations.",
            "Find every object in {image}.",
            "run object detection on {image}",
            "Could you box all the objects you can find in {image}?",
            "I want to know what objects appear in {image} and where.",
        ),
        "zh": ("检测 {image} 中的所有物体。", "{image} 里有哪些物体？请给出它们的位置。"),
    },
}
EXTRA_IMAGE_OP_FRAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "Remove the background": {
        "en": (
            "Remove the background from {image}.",
            "Cut out the main subject of {image}.",
            "Make the background of {image} transparent.",
        ),
        "zh": ("去掉 {image} 的背景。",),
    },
    "Predict Depth On Image": {
        "en": ("Estimate the depth of {image}.", "How far away are things in {image}? Show me a depth map."),
        "zh": ("估计一下 {image} 的深度。",),
    },
    "Pose Detection On Image": {
        "en": ("Where are the people's joints in {image}?", "Detect the body pose in {image}."),
        "zh": ("检测 {image} 中人的姿态。",),
    },
    "Segment the Image": {
        "en": ("Segment {image}.", "Split {image} into its regions."),
        "zh": ("分割 {image}。",),
    },
    "Edge Detection On Image": {
        "en": ("Detect the edges in {image}.", "find edges {image}"),
        "zh": ("检测 {image} 的边缘。",),
    },
    "Line Detection On Image": {"en": ("Detect the straight lines in {image}.",), "zh": ("检测 {image} 中的直线。",)},
    "Sketch Detection On Image": {
        "en": ("Turn {image} into a sketch.", "Make a scribble out of {image}."),
        "zh": ("把 {image} 变成草图。",),
    },
}

# Chains: frames keyed by (first tool, second tool); image-op -> conditioned generator chains share one set.
COND_CHAIN_FRAMES = {
    "en": (
        "Generate {prompt} based on the {noun} of {image}.",
        "First get the {noun} of {image}, then use it to draw {prompt}.",
        "Use the {noun} from {image} to create {prompt}.",
        "Can you make {prompt} that follows the {noun} of {image}?",
        "Please draw {prompt} with the same {noun} as {image}.",
        "I want a new picture of {prompt} using the {noun} of {image}.",
        "{image}: extract the {noun} and then generate {prompt} from it",
    ),
    "zh": ("先提取 {image} 的{noun}，再据此画出{prompt}。", "根据 {image} 的{noun}生成一张 {prompt}。"),
}
CHAIN_FRAMES: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("Detect the Give Object", "Segment the given object"): {
        "en": (
            "Find the {obj} in {image} and then segment it.",
            "Detect the {obj} in {image}, then cut it out.",
            "First locate the {obj} in {image}, then give me its mask.",
            "Where is the {obj} in {image}? Box it and then segment it.",
        ),
        "zh": ("先在 {image} 中找到 {obj}，再把它分割出来。",),
    },
    ("Generate Image From User Input Text", "Edge Detection On Image"): {
        "en": (
            "Draw {prompt} and then show me its edge map.",
            "Generate an image of {prompt}, then detect its edges.",
            "Make a picture of {prompt} and give me the Canny edges of it.",
        ),
        "zh": ("画一张{prompt}，然后给出它的边缘图。",),
    },
    ("Generate Image From User Input Text", "Instruct Image Using Text"): {
        "en": (
            "Draw {prompt}, then {edit}.",
            "Generate an image of {prompt} and after that {edit}.",
            "Make a picture of {prompt}; once it's done, {edit}.",
        ),
        "zh": ("先画一张{prompt}，然后{edit}。",),
    },
    ("Replace Something From The Photo", "Instruct Image Using Text"): {
        "en": (
            "Replace the {obj} in {image} with {rep} and then {edit}.",
            "Swap the {obj} in {image} for {rep}, then {edit}.",
            "First change the {obj} in {image} into {rep}; after that, {edit}.",
        ),
        "zh": ("把 {image} 里的 {obj} 换成 {rep}，然后{edit}。",),
    },
    ("Remove Something From The Photo", "Get Photo Description"): {
        "en": (
            "Remove the {obj} from {image} and tell me what the result shows.",
            "Erase the {obj} in {image}, then describe the new picture.",
        ),
        "zh": ("把 {image} 里的 {obj} 去掉，然后描述一下结果。",),
    },
    ("Detect the Give Object", "Blur Region"): {
        "en": (
            "Find the {obj} in {image} and blur it.",
            "Locate the {obj} in {image}, then blur that area.",
            "Hide the {obj} in {image}: detect it first, then blur its box.",
            "I don't want the {obj} in {image} to be recognisable. Find it and blur it out.",
            "First detect the {obj} in {image}, then blur it.",
            "Detect the {obj} in {image} and blur that part of the picture.",
        ),
        "zh": ("先在 {image} 中找到 {obj}，再把它模糊掉。",),
    },
    ("Rotate Image", "Answer Question About The Image"): {
        "en": (
            "Rotate {image} by {angle} degrees and then tell me: {question}",
            "Turn {image} {angle} degrees first, then answer this: {question}",
            "{image} is sideways. Rotate it {angle} degrees and answer: {question}",
        ),
        "zh": ("把 {image} 旋转 {angle} 度，然后回答：{question}",),
    },
    ("Instruct Image Using Text", "Get Photo Description"): {
        "en": (
            "Take {image}, {edit}, and then describe the result.",
            "For {image}, {edit}; after that tell me what the new picture shows.",
            "Edit {image} ({edit}) and describe how it looks now.",
        ),
        "zh": ("对 {image} 做修改：{edit}，然后描述一下结果。",),
    },
    ("Extend An Image", "Get Photo Description"): {
        "en": (
            "Extend {image} to {size} and describe the new picture.",
            "Outpaint {image} to {size}, then tell me what it shows.",
        ),
        "zh": ("把 {image} 扩展到 {size}，然后描述新图片。",),
    },
    ("Remove the background", "Get Photo Description"): {
        "en": (
            "Remove the background of {image} and describe what is left.",
            "Cut out the main subject of {image}, then tell me what it is.",
        ),
        "zh": ("去掉 {image} 的背景，然后描述剩下的内容。",),
    },
    ("Generate Image From User Input Text", "Resize Image"): {
        "en": (
            "Draw {prompt} and resize it to {width}x{height}.",
            "Generate an image of {prompt}, then scale it to {width} by {height} pixels.",
            "Make a picture of {prompt}; I need it {width} pixels wide and {height} tall.",
        ),
        "zh": ("画一张{prompt}，然后缩放到 {width}x{height}。",),
    },
    ("Blur Region", "Get Photo Description"): {
        "en": (
            "Blur {l}, {t}, {r}, {b} in {image} and describe what is in the picture now.",
            "Blur the region ({l}, {t}, {r}, {b}) of {image}, then tell me what it shows.",
            "Smudge out the box {l}, {t}, {r}, {b} on {image}; after that, describe the result.",
        ),
        "zh": ("把 {image} 的 {l}, {t}, {r}, {b} 区域模糊掉，然后描述结果。",),
    },
    ("Blur Region", "Answer Question About The Image"): {
        "en": (
            "Blur ({l}, {t}, {r}, {b}) in {image}, then answer this: {question}",
            "Blur the area {l}, {t}, {r}, {b} of {image} and tell me: {question}",
        ),
        "zh": ("先模糊 {image} 的 {l}, {t}, {r}, {b} 区域，再回答：{question}",),
    },
    ("Rotate Image", "Get Photo Description"): {
        "en": (
            "Rotate {image} by {angle} degrees and describe what is in it.",
            "Turn {image} {angle} degrees, then tell me what it shows.",
            "Straighten {image} by rotating it {angle} degrees; after that, describe the picture.",
        ),
        "zh": ("把 {image} 旋转 {angle} 度，然后描述图片内容。",),
    },
    ("Resize Image", "Get Photo Description"): {
        "en": (
            "Resize {image} to {width}x{height} and describe what is in that picture.",
            "Scale {image} to {width} by {height} pixels, then tell me what it shows.",
        ),
        "zh": ("把 {image} 缩放到 {width}x{height}，然后描述它的内容。",),
    },
    ("Remove the background", "Answer Question About The Image"): {
        "en": (
            "Remove the background of {image} and then answer: {question}",
            "Cut the subject of {image} out of its background, then tell me: {question}",
        ),
        "zh": ("去掉 {image} 的背景，然后回答：{question}",),
    },
    ("Detection", "Crop Image"): {
        "en": (
            "Detect the objects in {image} and crop the {obj}.",
            "Find the {obj} in {image} with the object detector, then crop it out.",
            "First detect everything in {image}, then crop the {obj} from it.",
        ),
        "zh": ("先检测 {image} 中的物体，再把 {obj} 裁剪出来。",),
    },
    ("Crop Image", "Text Detection On Image"): {
        "en": (
            "Crop {image} to {l}, {t}, {r}, {b} and read the text in it.",
            "Cut out the region ({l}, {t}, {r}, {b}) of {image} and tell me what it says.",
        ),
        "zh": ("把 {image} 裁剪到 {l}, {t}, {r}, {b}，然后识别里面的文字。",),
    },
    ("Crop Image", "Get Photo Description"): {
        "en": (
            "Crop {image} to {l}, {t}, {r}, {b} and describe what is in that part.",
            "Cut out ({l}, {t}, {r}, {b}) from {image}, then tell me what it shows.",
        ),
        "zh": ("裁剪 {image} 的 {l}, {t}, {r}, {b} 区域并描述其内容。",),
    },
}
# Edit-then-analyse chains: a request joins a clause for the edit and one for the analysis, so every pair of
# data_gen.tasks.EDIT_THEN_ANALYSE_CHAINS gets many wordings. ``{noun2}`` names what the second tool produces.
EDIT_CLAUSES: dict[str, dict[str, tuple[str, ...]]] = {
    "Rotate Image": {
        "en": ("rotate {image} by {angle} degrees", "turn {image} {angle} degrees"),
        "zh": ("把 {image} 旋转 {angle} 度",),
    },
    "Resize Image": {
        "en": ("resize {image} to {width}x{height}", "scale {image} to {width} by {height} pixels"),
        "zh": ("把 {image} 缩放到 {width}x{height}",),
    },
    "Blur Region": {
        "en": (
            "blur {l}, {t}, {r}, {b} in {image}",
            "blur the region ({l}, {t}, {r}, {b}) of {image}",
            "smudge out the box {l}, {t}, {r}, {b} on {image}",
        ),
        "zh": ("把 {image} 的 {l}, {t}, {r}, {b} 区域模糊掉",),
    },
}
ANALYSIS_CLAUSES: dict[str, dict[str, tuple[str, ...]]] = {
    "Answer Question About The Image": {
        "en": ("tell me: {question}", "answer this: {question}"),
        "zh": ("回答：{question}",),
    },
}
# The analysis clause of a tool that makes an image (a NOUNS tool).
ANALYSIS_NOUN_CLAUSES = {
    "en": ("show me its {noun2}", "give me the {noun2} of the result", "get the {noun2} of the new picture"),
    "zh": ("给出结果的{noun2}", "生成它的{noun2}"),
}
CHAIN_JOINS = {
    "en": (
        "{first} and then {second}.",
        "{first}, then {second}.",
        "First {first}; after that, {second}.",
        "Please {first} and {second}",
    ),
    "zh": ("先{first}，然后{second}。", "{first}，再{second}。"),
}
# How a request may point at the one image in the conversation besides its file name.
# Requests of the pick-one detect -> blur chain (data_gen.tasks.PICK_ONE): both objects are named, ``{obj}`` is
# the one to blur and ``{other}`` the one that is only located; either may come first.
PICK_ONE_FRAMES = {
    "en": (
        "Find the {other} and the {obj} in {image}, then blur the {obj}.",
        "Detect the {obj} and the {other} in {image} and blur only the {obj}.",
        "Locate both the {other} and the {obj} in {image}; after that, blur the {obj}.",
        "In {image}, box the {other} and the {obj}, then blur the {obj} out.",
        "Where are the {obj} and the {other} in {image}? Blur the {obj} once you've found them.",
        "Detect the {other} and the {obj} in {image}. Keep the {other} sharp but blur the {obj}.",
        "First find the {obj} and the {other} in {image}, then hide the {obj} with a blur.",
    ),
    "zh": ("先在 {image} 中找到 {other} 和 {obj}，再只把 {obj} 模糊掉。",),
}
IMAGE_REFERENCES = {
    "en": ("this image", "the photo", "my picture", "the image", "this picture", "the uploaded image"),
    "zh": ("这张图片", "这张照片", "上面的图片"),
}


def phrasing_pool(frames: Sequence[str], part: str, share: float) -> Sequence[str]:
    """The frames of a bank that ``part`` may use: all of them when ``part`` is empty or ``share`` is 0; else the
    test part holds ``share`` of the bank (at least one frame, never all; a bank of one frame is shared), picked by
    a hash of each frame so that adding a frame to a bank moves no other, and the train part the rest."""
    if not part or not share or len(frames) < 2:
        return frames
    count = min(len(frames) - 1, max(1, round(share * len(frames))))
    reserved = set(sorted(frames, key=lambda frame: hashlib.sha256(frame.encode()).hexdigest())[:count])
    return tuple(frame for frame in frames if (frame in reserved) == (part == TEST_PHRASING))


def _in(table: dict[str, tuple[str, ...]], language: str) -> tuple[str, ...]:
    """``table``'s entries in ``language``, or the English ones where it has none."""
    return table.get(language) or table["en"]


def frames_for(tool: str, language: str) -> tuple[str, ...]:
    """Request frames of a single tool (falling back to English where a language has none)."""
    if tool in TOOL_FRAMES:
        return _in(TOOL_FRAMES[tool], language)
    if tool in NOUNS:
        return IMAGE_OP_FRAMES[language] + EXTRA_IMAGE_OP_FRAMES.get(tool, {}).get(language, ())
    if tool in CONDITIONS:
        return COND_FRAMES[language]
    raise KeyError(f"no request frames for tool {tool!r}; add them to data_gen/phrasings.py")


def chain_frames(first: str, second: str, language: str) -> tuple[str, ...]:
    """Request frames of a chain: its own, the image-op -> generator set, or edit and analysis clauses joined."""
    if (first, second) in CHAIN_FRAMES:
        return _in(CHAIN_FRAMES[(first, second)], language)
    if first in NOUNS and second in CONDITIONS:
        return COND_CHAIN_FRAMES[language]
    if first in EDIT_CLAUSES and (second in ANALYSIS_CLAUSES or second in NOUNS):
        seconds = (
            _in(ANALYSIS_CLAUSES[second], language)
            if second in ANALYSIS_CLAUSES
            else _in(ANALYSIS_NOUN_CLAUSES, language)
        )
        joined = (
            join.replace("{first}", edit).replace("{second}", analysis)
            for join in CHAIN_JOINS[language]
            for edit in _in(EDIT_CLAUSES[first], language)
            for analysis in seconds
        )
        return tuple(frame[0].upper() + frame[1:] for frame in joined)
    raise KeyError(f"no request frames for the chain {first!r} -> {second!r}; add them to data_gen/phrasings.py")
