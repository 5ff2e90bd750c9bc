"""The original GPT4Tools, as test fixtures: its prompt text and record layout, its scorer's definitions.

Written from the description of AILab-CVC/GPT4Tools in the project notes (its data generator's format
strings, ``templates/gpt4tools.json`` and ``eval/evaluate_result.py``), independently of this project's
code, so tests can hold ``configs/prompts/gpt4tools.yaml``, ``protocol/records.py`` and
``evaluation/scoring.py`` to the original's behaviour. Only BLEU-1 is shared (``evaluation.scoring.bleu1``,
checked on hand-computed values in ``test_evaluate.py``).
"""

from __future__ import annotations

import glob
import json
import os
import re

import numpy as np

from evaluation.scoring import bleu1

# ---------------------------------------------------------------- the data generator's format strings
PROMPT_FORMAT = """GPT4Tools can handle various text and visual tasks, such as answering questions and providing in-depth explanations and discussions. It generates human-like text and uses tools to indirectly understand images. When referring to images, GPT4Tools follows strict file name rules. To complete visual tasks, GPT4Tools uses tools and stays loyal to observation outputs. Users can provide new images to GPT4Tools with a description, but tools must be used for subsequent tasks.
TOOLS:
------

GPT4Tools has access to the following tools:

{tool_descriptions}

To use a tool, please use the following format:

```
Thought: Do I need to use a tool? Yes
Action: the action to take, should be one of [{tool_names}]
Action Input: the input to the action
Observation: the result of the action
```

When you have a response to say to the Human, or if you do not need to use a tool, you MUST use the format:

```
Thought: Do I need to use a tool? No
AI: [your response here]
```

Follow file name rules and do not fake non-existent file names. Remember to provide the image file name loyally from the last tool observation.

Previous conversation:

{chat_history}

New input: {input}
GPT4Tools needs to use tools to observe images, not directly imagine them. Thoughts and observations in the conversation are only visible to GPT4Tools. When answering human questions, repeat important information. Let's think step by step.
"""
LLM_IMAGE_FORMAT = """Human: Provide an image named {image_path}. Description: {image_caption} Understand the image using tools.
AI: Received."""
LLM_RESPONSE_TOOL_FORMAT = """Thought: Do I need to use a tool? Yes
Action: {tool_name}
Action Input: {args}
Observation:
"""
LLM_RESPONSE_HUMAN_FORMAT = """Thought: Do I need to use a tool? No
AI: {response}
"""
VICUNA_PROMPT_NO_INPUT = "{instruction}\n### ASSISTANT:\n"  # templates/gpt4tools.json


def context_instruction(prompt: str, steps: list[tuple[str, str, str]]) -> str:
    """``conversation_to_complement``: earlier steps appended to the prompt, each assistant turn without its
    trailing ``Observation:\\n`` and each observation as ``Observation: <content>``."""
    text = prompt
    for tool, args, observation in steps:
        text += LLM_RESPONSE_TOOL_FORMAT.format(tool_name=tool, args=args).removesuffix("Observation:\n")
        text += f"Observation: {observation}\n"
    return text


# ---------------------------------------------------------------- eval/evaluate_result.py
def _strip_all(items: list[str]) -> list[str]:
    return [item.strip() for item in items]


def _acc_item(gt: list[str], pred: list[str]) -> tuple[np.ndarray, np.ndarray]:
    min_len, max_len = min(len(pred), len(gt)), max(len(pred), len(gt))
    flag, flag_gt = np.zeros(max_len), np.zeros(max_len)
    flag[:min_len] = (np.array(pred[:min_len]) == np.array(gt[:min_len])).astype(np.float64)
    flag_gt[: len(gt)] = 1.0
    return flag, flag_gt


def _args_item(gt: list[str], pred: list[str]) -> tuple[np.ndarray, np.ndarray]:
    min_len, max_len = min(len(pred), len(gt)), max(len(pred), len(gt))
    flag, flag_gt = np.zeros(max_len), np.zeros(max_len)
    for idx, (pred_item, gt_item) in enumerate(zip(pred[:min_len], gt[:min_len], strict=True)):
        gt_parts, pred_parts = re.split(",", gt_item), re.split(",", pred_item)
        if len(gt_parts) != len(pred_parts):
            continue
        parts = []
        for k, v in zip(gt_parts, pred_parts, strict=True):
            if ".png" in k and ".png" not in v:
                parts.append(-1)
            elif ".png" not in k:
                parts.append(bleu1(k, v))
            else:
                parts.append(1.0)
        flag[idx] = 0.0 if -1 in parts else np.mean(parts)
    flag_gt[: len(gt)] = 1.0
    return flag, flag_gt


def evaluate_item(gt_res: str, pred_res: str) -> tuple[float, float, float, float, float]:
    """``(thought, action, args, acc, iou)`` of one sample, as ``EvalTools.evaluate_item`` appends them."""
    thought_pattern = r"Thought: Do I need to use a tool\? (.*)"
    pred_thought = _strip_all(re.findall(thought_pattern, pred_res))
    gt_thought = _strip_all(re.findall(thought_pattern, gt_res))
    if "Action:" in gt_res and "Action Input:" in gt_res:
        gt_tools = _strip_all(re.findall(r"Action: (.*)", gt_res))
        gt_args = _strip_all(re.findall(r"Action Input: (.*)", gt_res))
        if len(gt_thought) != len(gt_tools):
            gt_thought = gt_thought[: len(gt_tools)]
        pred_tools = _strip_all(re.findall(r"Action: (.*)", pred_res))
        action_res, action_gt = _acc_item(gt_tools, pred_tools)
        pred_args = _strip_all(re.findall(r"Action Input: (.*)", pred_res))
        args_res, args_gt = _args_item(gt_args, pred_args)
        if len(pred_thought) == 1 + len(pred_tools) and pred_thought[-1] == "No":
            pred_thought.pop(-1)
        thought_res, thought_gt = _acc_item(gt_thought, pred_thought)
        thought, action, args = np.mean(thought_res), np.mean(action_res), np.mean(args_res)
        res = np.concatenate([thought_res, action_res, args_res])
        gt = np.concatenate([thought_gt, action_gt, args_gt])
        iou = np.sum(res * gt) / max(np.sum(np.maximum(res, gt)), 1.0)
        acc = 0.0 if thought < 1.0 or action < 1.0 or args < 0.5 else 1.0
        return thought, action, args, acc, iou
    thought_res, thought_gt = _acc_item(gt_thought, pred_thought)
    thought = np.mean(thought_res)
    if len(pred_thought) == 0 or pred_thought[0].strip() != "No":
        thought = 0.0
    if len(re.findall(r"AI: (.*)", pred_res)) == 0:
        thought = 0.0
    iou = np.sum(thought_res * thought_gt) / max(np.sum(np.maximum(thought_res, thought_gt)), 1.0)
    rest = 0.0 if thought < 1.0 else 1.0
    return thought, rest, rest, rest, iou


def gather_prediction(save_path: str, save_name: str, num_chunks: int) -> list[dict]:
    """The chunk files ``NAME_[0-{K-1}].json`` joined, one prediction per id (the last one wins)."""
    paths = glob.glob(os.path.join(save_path, save_name) + f"/{save_name}_[0-{num_chunks - 1}].json")
    gathered = []
    for path in sorted(paths):
        with open(path, encoding="utf-8") as handle:
            gathered.extend(json.load(handle))
    return list({item["id"]: item for item in gathered}.values())


def evaluate(ann: list[dict], predictions: list[dict]) -> dict[str, float]:
    """The five numbers of ``EvalTools.summary``: per prediction whose id is in ``ann``, the prompt cut off by
    the instruction's length, then the mean over those predictions."""
    gt_by_id = {item["id"]: item for item in ann}
    rows = []
    for pred in predictions:
        gt = gt_by_id.get(pred["id"])
        if gt is None:
            continue
        output = pred["output"][0] if isinstance(pred["output"], list) else pred["output"]
        rows.append(evaluate_item(gt["output"], output[len(gt["instruction"]) :].strip()))
    columns = np.array(rows, dtype=np.float64).T
    return dict(zip(("SR_t", "SR_act", "SR_args", "SR", "IoU"), (float(np.mean(c)) for c in columns), strict=True))
