"""Generation recipes: ``configs/data_gen/*.yaml`` loaded into a validated :class:`GenConfig`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from data_gen.tasks import PLAN_KINDS
from protocol.recipes import ConfigError, read_recipe, reject_unknown

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs" / "data_gen"
TEACHERS = ("template", "hf", "openai")
FACE_TURN_WEIGHT = 1.5  # the sessions' weight of a turn that edits faces (``face_turn_weight``)
SECOND_UPLOAD_SHARE = 0.1  # turns after which the human uploads a second photo (``second_upload_share``)


@dataclass(frozen=True)
class GenConfig:
    """Everything that decides what the generator writes (with the seed, the output is reproducible).

    Attributes:
        captions: ``shipped``, a ``.jsonl`` caption file or a COCO captions ``.json``.
        max_captions: use at most this many captions (``None``: all).
        teacher: ``template`` (offline), ``hf`` (a local instruct model) or ``openai`` (an endpoint).
        teacher_options: passed to the teacher (model, max_new_tokens, temperature, retries...).
        held_out: tools kept out of train/val for the test split (``None``: those the catalogue marks; ``[]``: none,
            as for the product adapter, whose test split then differs from train by its captions and, with
            ``held_out_phrasing``, its wording).
        held_out_phrasing: share of every bank of request frames (the teacher's and the sessions') that only the
            test and demo splits draw from (``data_gen.phrasings.phrasing_pool``).
        prompt_template: one prompt template (a shipped name such as ``en_product``, or a YAML path) for every record
            whatever the request's language, as the demo renders every turn with its adapter's one template
            (``None``: the ``en`` and ``zh`` templates by language).
        single / chain / negative: tasks per caption of each kind.
        extended_chain: edit-then-analyse chained tasks per caption, on top of ``chain``: drawn from
            ``EDIT_THEN_ANALYSE_CHAINS`` (an edit, then an analysis tool the request names; ``data_gen/tasks.py``),
            so the other chains keep their share.
        pick_one_chain: detect-two-objects-then-blur-one chained tasks per caption (``PICK_ONE`` in
            ``data_gen/tasks.py``; captions naming fewer than two objects get none), also on top of ``chain``.
        max_per_tool_per_caption: cap on single tasks with the same tool on one caption.
        zh_share: share of tasks rendered with the Chinese prompt template.
        negative_image_share: share of no-tool samples with an image in the conversation.
        answer_share: share of single-tool tasks that also give an "answer after the observation" sample.
        tools_per_prompt: ``[low, high]`` number of tools listed in a prompt (gold included).
        rename_share: share of training prompts whose listed tools get aliases (``data_gen/aliases.py``), so
            the model learns to pick tools by their descriptions and copy names from the list; val and test
            always show the real names.
        failure_share: share of tool tasks that also give a failure sample: one of the calls fails the way the
            runtime reports it (no person for a pose, no such object, out of memory) and the answer quotes the
            error (``data_gen/failure_samples.py``).
        plain_image_share: share of prompts that describe the human's image only by its size ("a 640x480
            image."), as the demo does with no captioner loaded, so the request alone must say what to do.
        condition_of_share: share of conditioned-generator prompts that introduce the condition image as "A pose
            skeleton of <caption>" rather than "A pose made from a photo. <caption>".
        served_listing_share: share of prompts that list the tools as the demo does: those a runtime serves (the
            offline ones, plus the families the request needs, sometimes a few more) in catalogue order, where the
            others list ``tools_per_prompt`` tools, shuffled.
        sessions: demo-shaped multi-turn sessions per caption (``data_gen/sessions.py``): uploads described by
            caption or (``plain_image_share``) size, earlier images and answers in the history as the demo's memory
            renders them, references ("it", "the result", "the original") bound to the right file, follow-ups
            that change one argument of the last call, thanks after tool chains, questions about the image,
            generation from a map the human supplied, boxes reused from a detector's answer, a request for an
            image when none was given.
        unserved_share: share of sessions whose last tool request needs a tool the prompt does not list; the
            answer says that no loaded tool can do it.
        direction_turn_weight: how often a session turn asks for a rotation by direction ("90 degrees clockwise",
            "to the left", "upside down"), against 3 for a plain tool turn; 0 leaves the sessions as without it.
        face_turn_weight: how often a session turn on a photo with faces asks for an edit of them ("blur the face":
            Detection, then Blur Region or Crop Image with the face's box), against 3 for a plain tool turn.
        offline_detection_share: share of the sessions' Detection calls on a photo with people that observe what the
            demo's offline detector reports, the faces alone ("face [176, 65, 273, 162]"), instead of the faces and
            every captioned object.
        second_upload_share: chance, after each session turn while one photo is uploaded, that the human uploads a
            second one before the next request.
        new_photo_plain_share: share of the requests on a second photo just uploaded that call it as a first
            upload is called ("the image", "this photo", "it") rather than "the new photo": after a new upload,
            "show me the straight lines in the image" means the new photo.
        product_requests: requests routed as the product adapter must route them: questions about written text go
            to Text Detection On Image (never Answer Question About The Image), and no-tool requests include
            writing and advice.
        val_share / test_share: shares of captions for validation and test.
        demo_share: share of captions for the demo split (``demo.json``, ids ``demo-N``): sessions only, every
            upload described by its size, the tools listed as the demo serves them, the test split's wording.
        near_duplicate_threshold: cosine similarity above which a request counts as a near duplicate
            (``None`` disables the embedding filter; exact duplicates are always removed).
        embed_batch_size: batch size for the MiniLM embeddings.
        report_tokenizer: base model whose tokenizer measures lengths (``None``: skip token lengths).
        report_token_sample: measure at most this many records per split (``None``: all).
        seed: default seed; ``max_samples`` caps each split (``None``: no cap).
        split_seed: seed of the caption partition alone (``None``: ``seed``), so a later stage's recipe can draw new
            requests and sessions with another ``seed`` and keep every val, test and demo caption out of train.
        plans: plan records (planner prompt, JSON plan; ``data_gen/plans.py``) per caption by kind: ``single``,
            ``chain``, ``dag``, ``repeated``, ``none``; fractions spread over captions (0.5: every other one). Empty:
            no plan records, and the ReAct records are exactly those of a recipe without this option.
    """

    captions: str = "shipped"
    max_captions: int | None = None
    teacher: str = "template"
    teacher_options: dict[str, Any] = field(default_factory=dict)
    held_out: list[str] | None = None
    single: int = 16
    chain: int = 4
    negative: int = 3
    extended_chain: int = 0
    pick_one_chain: int = 0
    max_per_tool_per_caption: int = 2
    zh_share: float = 0.15
    negative_image_share: float = 0.5
    answer_share: float = 0.35
    tools_per_prompt: tuple[int, int] = (2, 5)
    rename_share: float = 0.0
    failure_share: float = 0.0
    plain_image_share: float = 0.0
    condition_of_share: float = 0.0
    held_out_phrasing: float = 0.0
    prompt_template: str | None = None
    served_listing_share: float = 0.0
    sessions: int = 0
    unserved_share: float = 0.0
    direction_turn_weight: float = 0.0
    face_turn_weight: float = FACE_TURN_WEIGHT
    offline_detection_share: float = 0.0
    second_upload_share: float = SECOND_UPLOAD_SHARE
    new_photo_plain_share: float = 0.0
    product_requests: bool = False
    val_share: float = 0.05
    test_share: float = 0.12
    demo_share: float = 0.0
    near_duplicate_threshold: float | None = 0.95
    embed_batch_size: int = 256
    report_tokenizer: str | None = "smollm2-135m-instruct"
    report_token_sample: int | None = 1500
    seed: int = 0
    split_seed: int | None = None
    max_samples: int | None = None
    plans: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.teacher not in TEACHERS:
            raise ConfigError(f"teacher {self.teacher!r} unknown; choose one of {', '.join(TEACHERS)}")
        counts = (
            "single",
            "chain",
            "negative",
            "extended_chain",
            "pick_one_chain",
            "max_per_tool_per_caption",
            "sessions",
        )
        for name in (*counts, "embed_batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name} must be a non-negative integer, got {value!r}")
        shares = ("zh_share", "negative_image_share", "answer_share", "rename_share", "val_share", "test_share")
        shares += ("failure_share", "plain_image_share", "condition_of_share", "held_out_phrasing")
        shares += ("served_listing_share", "unserved_share", "demo_share", "offline_detection_share")
        for name in (*shares, "second_upload_share", "new_photo_plain_share"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise ConfigError(f"{name} must be a number between 0 and 1, got {value!r}")
        if self.val_share + self.test_share + self.demo_share >= 1:
            raise ConfigError("val_share + test_share + demo_share must leave captions for training (sum below 1)")
        for name in ("direction_turn_weight", "face_turn_weight"):
            weight = getattr(self, name)
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
                raise ConfigError(f"{name} must be a number, 0 or more, got {weight!r}")
        if not isinstance(self.product_requests, bool):
            raise ConfigError(f"product_requests must be true or false, got {self.product_requests!r}")
        if self.held_out is not None and not isinstance(self.held_out, list | tuple):
            raise ConfigError(f"held_out must be a list of tool names, [] or null, got {self.held_out!r}")
        low_high = tuple(self.tools_per_prompt)
        if len(low_high) != 2 or not 2 <= low_high[0] <= low_high[1]:
            raise ConfigError(
                f"tools_per_prompt must be [low, high] with 2 <= low <= high, got {self.tools_per_prompt!r}"
            )
        object.__setattr__(self, "tools_per_prompt", low_high)
        threshold = self.near_duplicate_threshold
        if threshold is not None and not 0 < threshold <= 1:
            raise ConfigError(f"near_duplicate_threshold must be in (0, 1] or null, got {threshold!r}")
        for name in ("max_captions", "max_samples", "report_token_sample"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"{name} must be a positive whole number, or null for no limit; got {value!r}")
        for name, value in (("seed", self.seed), ("split_seed", self.split_seed)):
            if (value is not None or name == "seed") and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{name} must be a whole number, got {value!r}")
        if not isinstance(self.plans, dict) or set(self.plans) - set(PLAN_KINDS):
            raise ConfigError(
                f"plans maps plan kinds ({', '.join(PLAN_KINDS)}) to tasks per caption, got {self.plans!r}"
            )
        for kind, count in self.plans.items():
            if isinstance(count, bool) or not isinstance(count, int | float) or count < 0:
                raise ConfigError(f"plans: {kind} must be a number of tasks per caption (0 or more), got {count!r}")
        if not any(getattr(self, name) for name in counts[:5]) and not any(self.plans.values()):
            raise ConfigError(
                f"{', '.join(counts[:5])} and plans are all 0, so nothing would be generated; set e.g. single: 16"
            )

    @classmethod
    def load(cls, name_or_path: str | Path = "default", **overrides: Any) -> GenConfig:
        """A shipped recipe by name (``default``, ``quick``) or a YAML path, with non-``None`` overrides."""
        data = read_recipe(name_or_path, CONFIG_DIR, "data-generation")
        reject_unknown(data, (f.name for f in fields(cls)), str(name_or_path))
        config = cls(**data)
        return replace(config, **{k: v for k, v in overrides.items() if v is not None})

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tools_per_prompt"] = list(self.tools_per_prompt)
        return data
