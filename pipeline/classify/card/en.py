"""The model card's fixed text in English (``fr.py`` holds the same keys in French).

The use and limits restate GUIDANCE.md: a flag is a suggestion to a human reviewer about an
employee's public post, never a decision, and never a way to rank people. ``feeds`` names the
sections of the Directive on Automated Decision-Making and of its Algorithmic Impact Assessment
(AIA) questionnaire that each part of the card answers, so whoever fills in the AIA knows where
to look.
"""

from __future__ import annotations

TEXTS: dict = {
    "title": "Model card",
    "not_measured": "not measured",
    "not_recorded": "not recorded",
    "not_applicable": "n/a",
    "never": "never",
    "none": "none",
    "feeds_label": "Feeds",
    "colon": ": ",
    "feeds_note": (
        "Each section names what it feeds: the Treasury Board Directive on Automated "
        "Decision-Making (Directive) and its Algorithmic Impact Assessment questionnaire (AIA)."
    ),
    "headings": {
        "identity": "Version",
        "system": "System description",
        "intended_use": "Intended use",
        "out_of_scope": "Out-of-scope use",
        "training_data": "Training data",
        "performance": "Model performance and bias checks",
        "thresholds": "Thresholds per category",
        "disagreement": "Disagreement with the live version",
        "limits": "Known limits",
        "human_involvement": "Human involvement",
        "recourse": "Recourse and explanations",
    },
    "captions": {
        "per_category": "F1 per category (each label counts for the categories it maps to)",
        "per_language": "Macro-F1 per language (the official languages first)",
        "fine_tune": "Fine-tuning",
        "mapping": "Training labels and the categories they map to",
    },
    "fields": {
        "field": "Field",
        "value": "Value",
        "source_name": "Source",
        "version": "Version",
        "status": "Status",
        "kind": "Kind",
        "created_at": "Created",
        "activated_at": "Made live",
        "model_id": "Model",
        "base_model": "Base model",
        "policy_version": "Policy version",
        "files": "Files",
        "sha256": "SHA-256 of the training data",
        "rows": "Rows",
        "by_label": "Rows per label",
        "by_lang": "Rows per language",
        "by_source": "Rows per source",
        "label": "Label",
        "categories": "Categories",
        "category": "Category",
        "measure": "Measure",
        "language": "Language",
        "macro_f1": "Macro-F1",
        "accuracy": "Accuracy",
        "folds": "Folds",
        "groups": "Groups",
        "threshold": "Threshold",
        "source": "Set by",
        "kfold": "k-fold",
        "grouped": "grouped by source",
        "holdout": "held out (stratified)",
        "window": "Window",
        "assessed": "Posts this version assessed",
        "own_flag_rate": "Share of them flagged",
        "compared": "Posts assessed by both",
        "differ": "Top flagged category differs",
        "flag_rate_version": "Flag rate of this version",
        "flag_rate_live": "Flag rate of the live version",
        "live": "Live version",
        "epochs": "Epochs",
        "lr": "Learning rate",
        "batch_size": "Batch size",
        "max_seq_length": "Maximum sequence length",
        "seed": "Seed",
        "device": "Device",
        "seconds": "Seconds",
        "rows_trained": "Rows trained on",
        "rows_held_out": "Rows held out",
        "cache_key": "Cache key",
        "downloads": "Download",
    },
    "status": {
        "live": "live",
        "shadow": "shadow",
        "candidate": "candidate",
        "retired": "retired",
    },
    "kind": {"shipped": "shipped policy", "trained": "trained head", "fine-tuned": "fine-tuned"},
    "languages": {"en": "English", "fr": "French", "und": "undetermined"},
    "method": {"grouped": "grouped", "holdout": "held-out"},
    "threshold_source": {"trained": "training", "policy": "shipped policy"},
    "days": "last {days} days (since {since})",
    "none_mapped": "no flag",
    "system": (
        "Impartial scores the public posts of registered accounts (official accounts, and "
        "personal accounts whose owners opted in) against the four categories of the Treasury "
        "Board of Canada Secretariat's guidance on public servants' personal use of social "
        "media: partisan, government policy, vulgar and self-serving. A post whose score in a "
        "category reaches that category's threshold becomes a flag in a review queue, with an "
        "explanation: the nearest policy exemplars, the matched terms and each context factor's "
        "contribution. A person decides what, if anything, follows."
    ),
    "kind_description": {
        "shipped": (
            "This version is the shipped policy classifier: its scores come from similarity to "
            "the policy's English and French exemplars and from a bilingual lexicon. Nothing "
            "was trained on the organization's data."
        ),
        "trained": (
            "This version adds a head trained on labelled posts to the policy's features "
            "(sentence embeddings, similarity to the exemplars, lexicon evidence)."
        ),
        "fine-tuned": (
            "This version's sentence-embedding model was fine-tuned on labelled posts from a "
            "base model, and a head was trained on the fine-tuned model's features."
        ),
    },
    "intended_use": [
        "Suggest to a human reviewer which public posts may lead a reasonable person to doubt "
        "that their author can work in a non-partisan and impartial way, and why.",
        "Let employees check a draft before they post (the self-check stores nothing).",
        "Measure the classifier itself: compare versions in shadow, and estimate what it misses "
        "from reviewed samples of unflagged posts.",
    ],
    "out_of_scope": [
        "Any automated decision about a person: a flag is a suggestion, never a finding; only a "
        "reviewer's decision counts.",
        "Ranking, scoring or comparing people, or feeding performance reviews, staffing or "
        "discipline with flags or scores rather than reviewed decisions.",
        "Reading accounts that are not registered, or personal accounts without their owner's "
        "consent in force; monitoring colleagues outside this program.",
        "Private messages, or anything but a public post's text (images count only through "
        "their descriptions).",
        "Judging whether a post is true, or a person's opinions as such: the guidance asks how "
        "a post bears on the perception of impartiality.",
    ],
    "human_involvement": [
        "Every flag goes to a review queue. A reviewer decides no concern, advise or escalate, "
        "with a guidance clause and a rationale; a lead closes escalations. The classifier "
        "never closes a flag.",
        "Reviewers see a pseudonym rather than a name and never review their own posts; the "
        "lead who escalated a flag does not close it.",
        "A sample of unflagged posts is reviewed too, so that decisions estimate what the "
        "classifier misses.",
        "A new version runs in shadow before it goes live: it scores posts beside the live "
        "version without creating flags, and the disagreement above is measured.",
        "Every view and decision is written to an append-only, hash-chained audit log.",
    ],
    "recourse": [
        "Each flag carries an explanation a person can read: the nearest policy exemplars, the "
        "matched terms, each context factor's contribution and the threshold it reached.",
        "Employees see the flags about their own posts and the decisions on them (My flags), "
        "add their side, and contest a decision; a lead reads and answers.",
        "An access request (impartial export person) gives a person everything held about them.",
    ],
    "limits": [
        "Scores reflect wording, not intent: irony, quotations, reposts made to criticize and "
        "reclaimed words can be misread, and context outside the post is not seen.",
        "A threshold trades missed concerns against needless flags; the reviewer's decision, "
        "not the score, settles each post.",
        "Context factors (audience, seniority, relevance to the author's work, tone) raise or "
        "lower the risk that orders the queue; they do not decide whether a post is flagged.",
    ],
    "limit": {
        "shipped_thresholds": (
            "Thresholds from the shipped policy: they were set on the policy's exemplars and "
            "public labelled posts, not on this organization's reviewed decisions."
        ),
        "no_metrics": (
            "No measured performance is stored with this version: evaluate it on labelled "
            "posts (impartial eval FILE --classifier {version}) before relying on it."
        ),
        "unlabelled_categories": (
            "No training label maps to these categories: {categories}. They were not measured "
            "on labelled posts, and their thresholds come from the shipped policy."
        ),
        "few_rows": (
            "Few training rows in {language}: {rows} (fewer than {minimum}); figures for that "
            "language are uncertain."
        ),
        "no_rows": "No training rows in {language}, an official language.",
        "lang_unknown": "The training rows per language were not recorded.",
        "lang_gap": (
            "Macro-F1 in {language} ({value}) is below {best_language} ({best}) by {gap}: posts "
            "in {language} are judged less reliably."
        ),
        "split_gap": (
            "The k-fold macro-F1 ({kfold}) exceeds the {method} estimate ({other}) by {gap}: "
            "similar posts from one source in both training and test folds inflate k-fold "
            "figures; expect the {method} figure on new accounts."
        ),
        "english_model": (
            "The embedding model ({model}) was trained on English: French posts are scored by "
            "their contrast with the policy's French exemplars and by the French lexicon, which "
            "is weaker; a multilingual model helps French."
        ),
    },
    "disagreement": {
        "is_live": "This is the live version.",
        "no_live": "No version is live, so there is nothing to compare with.",
        "no_overlap": (
            "No post assessed by this version in the window was assessed by the live version: "
            "run it in shadow (impartial classifier shadow {version}) to measure this."
        ),
        "rule": (
            "Posts this version assessed in the window that the live version assessed too; a "
            "post's top flagged category is its highest-scoring category over threshold, or "
            "none."
        ),
    },
    "feeds": {
        "identity": "Directive: Algorithmic Impact Assessment. AIA: Project; About the system.",
        "system": "AIA: About the system; About the algorithm. Directive: Transparency (notice).",
        "intended_use": "AIA: About the decision; Impact assessment.",
        "out_of_scope": "AIA: About the decision; Impact assessment.",
        "training_data": (
            "Directive: Quality assurance (data quality). AIA: About the data; Data quality."
        ),
        "performance": (
            "Directive: Quality assurance (testing for bias before production; official "
            "languages). AIA: Data quality; Impact assessment."
        ),
        "thresholds": "AIA: About the algorithm. Directive: Transparency (explanation).",
        "disagreement": (
            "Directive: Quality assurance (monitoring outcomes). AIA: De-risking and mitigation "
            "measures."
        ),
        "limits": "AIA: Impact assessment; Data quality. Directive: Transparency.",
        "human_involvement": (
            "Directive: Quality assurance (human intervention). AIA: About the decision; "
            "Procedural fairness."
        ),
        "recourse": (
            "Directive: Transparency (explanation); Recourse. AIA: Procedural fairness; Privacy."
        ),
    },
}
