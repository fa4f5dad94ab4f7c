"""The `intent` command: one entry point, one subcommand per job.

User mistakes (a missing file, a bad column, a damaged model) print one clear line and exit
with status 2; anything else is a bug and keeps its traceback. Ctrl-C exits 130 and SIGTERM
143, after the same clean-up (no half-written output). Files a command writes go under the
current folder unless told otherwise, and their paths are printed.

The same idea has the same option everywhere: ``-o/--output`` (what is written), ``--force``
(replace it), ``--quiet`` (nothing but the result), ``--reports-dir`` (where reports go),
``--text-column``/``--label-column`` (which columns to read), ``--model`` (which model).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from intent import __version__
from intent.config import (
    CHALLENGE_CSV,
    CUSTOM_MODEL_OUTPUT,
    DEFAULT_MODEL_OUTPUT,
    DEFAULT_SPACY_MODEL,
    LABELS,
    MODELS_DIR,
    REPORTS_DIR,
    SAMPLE_EXPORT,
    TEST_CSV,
    TRAIN_CSV,
    TRUST_MODEL_ENV_VAR,
)
from intent.errors import DataError, IntentError, Terminated

FORMATS = ("csv", "jsonl")


class HelpFormatter(argparse.HelpFormatter):
    """Help wrapped to the terminal's width, paragraph by paragraph; a paragraph with indented
    lines (examples, tables) is kept as written."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.strip("\n").split("\n\n"):
            lines = paragraph.splitlines()
            if any(line[:1].isspace() for line in lines):
                paragraphs.append("\n".join(indent + line for line in lines))
            else:
                paragraphs.append(
                    textwrap.fill(
                        " ".join(lines), width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
                    )
                )
        return "\n\n".join(paragraphs)


class DeprecatedAlias(argparse.Action):
    """An old option name that still works: it sets the new option and says so on stderr."""

    def __init__(self, option_strings: list[str], dest: str, new: str, **kwargs: Any) -> None:
        self.new = new
        super().__init__(option_strings, dest, default=argparse.SUPPRESS, help=argparse.SUPPRESS, **kwargs)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        print(f"intent: note: {option} is deprecated and will be removed; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def _subparser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, **kwargs: Any
) -> argparse.ArgumentParser:
    p = sub.add_parser(name, formatter_class=HelpFormatter, allow_abbrev=False, **kwargs)
    p.set_defaults(subparser=p)  # unknown options are reported with this command's usage
    return p


def _add_force(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--force", action="store_true", help=f"replace {what} if it exists (otherwise refused)")


def _add_quiet(p: argparse.ArgumentParser, what: str = "no progress, notes or summary on stderr") -> None:
    p.add_argument("-q", "--quiet", action="store_true", help=what)


def _add_columns(p: argparse.ArgumentParser, labels: bool, which: str = "") -> None:
    p.add_argument(
        "--text-column",
        metavar="NAME",
        help=f"column that holds the message text{which} (default: LinkedIn's layouts, or a column named text, "
        "mensaje, texto, message, content, contenido, body or cuerpo)",
    )
    if labels:
        p.add_argument(
            "--label-column",
            metavar="NAME",
            help=f"column that holds the labels{which} (default: a column named label, etiqueta, categoría, "
            "clase, intención or intent)",
        )


def _add_bad_lines(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--on-bad-lines",
        choices=("error", "skip"),
        default="error",
        help="a malformed CSV row stops the run naming its line (error, default) or is skipped and counted",
    )


def _add_reports_dir(p: argparse.ArgumentParser, old: str) -> None:
    p.add_argument(
        "--reports-dir",
        type=Path,
        default=REPORTS_DIR,
        metavar="DIR",
        help=f"folder the report folders go in (default: ./{REPORTS_DIR}/, in the current folder)",
    )
    p.add_argument(old, dest="reports_dir", type=Path, action=DeprecatedAlias, new="--reports-dir")


def _sample_note(command: str) -> None:
    """Said even with --quiet: classifying the sample instead of one's own file is easy to miss."""
    print(
        f"intent: note: no INPUT given, so {command} reads the sample export shipped with intent. "
        f"Give your own (e.g. intent {command} messages.csv), or '-' to read standard input.",
        file=sys.stderr,
    )


def _images_note(args: argparse.Namespace) -> None:
    from intent.report.files import NO_IMAGES_NOTE, images_available

    if not args.quiet and not images_available():
        print(NO_IMAGES_NOTE, file=sys.stderr)


EPILOG = """\
labels:
  spam_sales             the sender wants a sale, a lead, money or data
  genuine_networking     the sender wants a professional relationship
  gatekeeping_rejection  the sender closes the door: declines, questions or blocks

examples:
  intent predict "Hola, ¿tienes 15 minutos para una demo de nuestro CRM?"
  intent explain "No sé por qué querrías conectar conmigo"
  intent classify Basic_LinkedInDataExport.zip -o etiquetados.csv
  intent review Basic_LinkedInDataExport.zip -o to_label.csv
  intent train --data to_label.csv          (writes ./models/intent-custom.joblib)
  intent evaluate mis_mensajes.csv          (writes ./reports/mis_mensajes/)
  intent serve --open          (a web page on this machine: drop your export, see it triaged)

Files are written under the current folder unless you name another place. Everything runs on this
machine; no message leaves it.
"""


def _add_train(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _subparser(
        sub,
        "train",
        help="train a model on labeled messages",
        description=(
            "Train a model: spaCy preprocessing, TF-IDF features, a linear classifier chosen by "
            "cross-validation. Writes the model (.joblib) and its metadata (.json), a model card, and "
            "evaluation reports in REPORTS_DIR/MODEL_NAME/, and prints test scores beside baselines measured "
            "in the same run. Your files are read like `intent classify` reads its input."
        ),
        epilog=(
            "examples:\n"
            "  intent train --data to_label.csv                      shipped corpus + your rows\n"
            "  intent train --data mis.csv --text-column cuerpo --label-column etiqueta\n"
            "  intent train --no-base --data mis.csv --test mi_test.csv -o models/mio.joblib"
        ),
    )
    add_train_arguments(p)


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of `intent train` (shared with the top-level train.py)."""
    p.add_argument(
        "--data",
        action="append",
        type=Path,
        metavar="FILE",
        help="your labeled messages: a CSV with a text and a label column (any delimiter or encoding; labels "
        "may be spam/venta, networking, rechazo…), a folder of CSVs, or a folder saved with save_to_disk; "
        "repeatable. Added to the shipped corpus unless --no-base",
    )
    p.add_argument("--no-base", action="store_true", help="train on your data alone, without the shipped corpus")
    p.add_argument(
        "--hf-dataset",
        action="append",
        metavar="NAME_OR_PATH",
        help="a Hugging Face dataset (by name: needs network) or a folder saved with save_to_disk; repeatable",
    )
    p.add_argument("--split", default="train", metavar="NAME", help="split of --hf-dataset (default: train)")
    _add_columns(p, labels=True, which=" in your files (--data, --hf-dataset, --test)")
    _add_bad_lines(p)
    p.add_argument(
        "--fail-on-label-issues",
        action="store_true",
        help="stop (exit 2) if the label audit finds rows whose label looks wrong, before saving a model",
    )
    p.add_argument(
        "--test",
        type=Path,
        metavar="FILE",
        help="held-out labeled data for the report (default: the shipped test set); 'none' to skip",
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="PATH",
        help=f"model file to write (default: ./{CUSTOM_MODEL_OUTPUT} with --data or --hf-dataset, else "
        f"./{DEFAULT_MODEL_OUTPUT}; in the current folder)",
    )
    p.add_argument(
        "--spacy-model",
        default=DEFAULT_SPACY_MODEL,
        metavar="NAME",
        help="'blank:es' (lookup lemmas, no download) or an installed es_core_news_* package",
    )
    p.add_argument("--cv-folds", type=int, default=5, metavar="K", help="cross-validation folds (default: 5)")
    p.add_argument("--jobs", type=int, default=2, metavar="N", help="parallel fits (default: 2)")
    p.add_argument(
        "--textcat-epochs",
        type=int,
        default=5,
        metavar="N",
        help="epochs of the spaCy textcat baseline trained for comparison; 0 skips it (default: 5)",
    )
    _add_reports_dir(p, "--report-dir")
    _add_force(p, "the model file and its report folder")
    _add_quiet(p, "no progress lines and notes on stderr (the final report is still printed)")
    p.set_defaults(handler=cmd_train, models_dir=MODELS_DIR)


def _shipped(path: Path, what: str, instead: str) -> Path:
    """A file of the shipped corpus, or a clear error when this installation lacks it."""
    if not path.is_file():
        raise DataError(
            f"the shipped {what} is not in this installation (no {path}). Fix: reinstall intent, or {instead}"
        )
    return path


def cmd_train(args: argparse.Namespace) -> int:
    from intent.learn.data import HFSource, Source
    from intent.learn.training import TrainSettings, format_report, run

    custom: list[Source] = [*(args.data or []), *(HFSource(n, args.split) for n in args.hf_dataset or [])]
    if args.no_base and not custom:
        raise DataError("--no-base needs your own data. Fix: add --data FILE or --hf-dataset NAME.")
    test: Path | None
    if args.test is None:
        test = _shipped(TEST_CSV, "test set", "give your own with --test FILE, or --test none.")
    else:
        test = None if str(args.test).lower() == "none" else args.test
    base: list[Source] = [] if args.no_base else [_shipped(TRAIN_CSV, "corpus", "train on your data with --no-base.")]
    sources = base + custom
    output = args.output or args.models_dir / (CUSTOM_MODEL_OUTPUT if custom else DEFAULT_MODEL_OUTPUT).name
    settings = TrainSettings(
        train_sources=sources,
        test_source=test,
        output=output,
        use_challenge_dev=not args.no_base,
        fail_on_label_issues=args.fail_on_label_issues,
        spacy_model=args.spacy_model,
        cv_folds=args.cv_folds,
        n_jobs=args.jobs,
        textcat_epochs=args.textcat_epochs,
        report_dir=args.reports_dir,
        quiet=args.quiet,
        text_column=args.text_column,
        label_column=args.label_column,
        on_bad_lines=args.on_bad_lines,
        force=args.force,
    )
    _images_note(args)
    meta = run(settings)
    print(format_report(meta))
    return 0


def _add_predict(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _subparser(
        sub,
        "predict",
        help="label messages given as arguments, or one message per line from stdin",
        description=(
            "Label each message given as an argument (quote each one), or every line of standard "
            "input. Prints one line per message, in order: the label, its confidence and the "
            "probability of each label (JSON Lines with --json)."
        ),
        epilog=(
            "examples:\n"
            '  intent predict "Hola, ¿te interesa una demo de nuestro CRM?"\n'
            '  intent predict "no me interesa, gracias" "encantada de conectar, Ana" --json\n'
            "  intent predict < mensajes.txt"
        ),
    )
    p.add_argument(
        "text", nargs="*", help="the messages, one argument each (none: read one message per line from stdin)"
    )
    _add_model_arguments(p)
    p.add_argument("--json", action="store_true", help="one JSON object per message")
    p.add_argument("--threshold", type=float, metavar="P", help="uncertainty threshold (default: the model's)")
    _add_language_arguments(p)
    _add_quiet(p, "no prompt on stderr when reading from a terminal")
    p.set_defaults(handler=cmd_predict)


def cmd_predict(args: argparse.Namespace) -> int:
    model = _model(args)
    if args.text:
        texts = list(args.text)
    else:
        if sys.stdin.isatty() and not args.quiet:
            print("Escribe un mensaje por línea (Ctrl-D para terminar):", file=sys.stderr)
        texts = [line.rstrip("\n") for line in sys.stdin]
    for text, result in zip(texts, model.classify(texts, _languages(args)), strict=True):
        if args.json:
            print(json.dumps({"text": text, **result.__dict__}, ensure_ascii=False))
        elif result.label is None:
            print(f"-  ({result.status}: nothing to classify)")
        else:
            probs = "  ".join(f"{label}={result.probabilities[label]:.2f}" for label in LABELS)
            flag = "  [uncertain]" if result.uncertain else ""
            foreign = f"  [{result.status}: {result.language}]" if result.status == "other_language" else ""
            print(f"{result.label}  {result.confidence:.2f}{flag}{foreign}  ({probs})")
    return 0


def _add_classify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _subparser(
        sub,
        "classify",
        help="label every message of a CSV file or a LinkedIn data export",
        description=(
            "Label every row of INPUT and write all its columns plus intent, confidence, uncertain, "
            "proba_<label>, status and language. INPUT is one or more CSV or Parquet files (or folders "
            "and globs of them), '-' for stdin, or LinkedIn's export "
            "(the .zip from 'Get a copy of your data', or its unpacked folder), from which "
            "messages.csv and Invitations.csv are read. LinkedIn files are recognised by their "
            "headers; in other CSVs the text column is found by name (text, message, mensaje, "
            "content, contenido, body, cuerpo, texto) or given with --text-column. "
            "The export's rows also get conversation_id, direction (incoming, outgoing, unknown) and owner; "
            "with --conversations, OUTPUT gets one row per conversation and invitation instead: what the other "
            "party wants (their messages combined, the owner's left out) and whether they await your reply."
        ),
        epilog=(
            "examples:\n"
            "  intent classify Basic_LinkedInDataExport.zip -o bandeja.csv\n"
            "  intent classify Basic_LinkedInDataExport.zip --conversations -o conversaciones.csv\n"
            "  intent classify mensajes.csv --text-column cuerpo -o etiquetados.csv --excel\n"
            "  cat mensajes.csv | intent classify - -o - --format jsonl --quiet\n"
            "  intent classify            (classifies a small sample export shipped with intent)\n\n"
            "status values: ok, truncated (only the start of a very long text was read), empty "
            "(nothing to classify), no_message (an invitation sent without a note), other_language (not in a "
            "supported language: labeled anyway, flagged uncertain)."
        ),
    )
    p.add_argument(
        "input",
        nargs="*",
        metavar="INPUT",
        help="CSV or Parquet files, folders of them, globs ('inbox/*.csv'), '-' (stdin), or LinkedIn's export "
        ".zip or folder (default: a sample export)",
    )
    p.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="OUTPUT",
        help="output file, or '-' for stdout (default: stdout); with --engine dask, a folder of partitions",
    )
    _add_columns(p, labels=False)
    p.add_argument(
        "--conversations",
        action="store_true",
        help="LinkedIn's export: write one row per conversation and invitation (what the other party wants, "
        "messages in and out, last_from, awaiting_reply) instead of one row per message",
    )
    p.add_argument(
        "--owner",
        metavar="NAME_OR_PROFILE_URL",
        help="whose export it is, if it cannot be told from the export (the person in every conversation)",
    )
    p.add_argument(
        "--format",
        choices=(*FORMATS, "parquet"),
        help="csv or jsonl (default: from OUTPUT's extension, else csv); --engine dask: parquet "
        "(default) or csv partitions",
    )
    p.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local: this machine, --jobs processes (default); dask: a Dask cluster (needs pip install 'intent[dask]')",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: start a local cluster of --jobs workers)",
    )
    p.add_argument("--excel", action="store_true", help="CSV for Excel in Spanish: UTF-8 with BOM, ';' as separator")
    _add_bad_lines(p)
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default: 1)")
    p.add_argument("--chunk-size", type=int, default=1000, metavar="ROWS", help="rows per chunk (default: 1000)")
    p.add_argument(
        "--threshold",
        type=float,
        metavar="P",
        help="flag as uncertain below this confidence (default: the model's own)",
    )
    _add_model_arguments(p)
    _add_language_arguments(p)
    _add_force(p, "OUTPUT")
    _add_quiet(p, "no progress bar and no summary on stderr")
    p.set_defaults(handler=cmd_classify)


def _classify_dask(args: argparse.Namespace, output: Path | None) -> int:
    from intent.config import default_model_path
    from intent.io.dask_engine import run_dask

    if args.conversations or args.owner is not None:
        raise DataError(
            "--conversations and --owner read a LinkedIn export, which the local engine handles. Fix: drop "
            "--engine dask."
        )
    if output is None:
        raise DataError("--engine dask writes a folder of partitions. Fix: give -o FOLDER.")
    fmt = args.format or "parquet"
    if fmt == "jsonl" or args.excel:
        raise DataError("--engine dask writes parquet or csv partitions. Fix: --format parquet or --format csv.")
    if args.threshold is not None:
        _check_threshold(args.threshold)
    run = run_dask(
        list(args.input),
        output,
        model_path=args.model if args.model is not None else default_model_path(),
        fmt=fmt,
        text_column=args.text_column,
        languages=_languages(args),
        threshold=args.threshold,
        scheduler=args.scheduler,
        workers=args.jobs,
        force=args.force,
    )
    if not args.quiet:
        print(run.format(), file=sys.stderr)
    return 0


def _add_model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, metavar="PATH", help="model file (default: the shipped model)")
    p.add_argument(
        "--trust-model",
        action="store_true",
        help="load a --model that cannot be checked: one without its .json beside it, or one saved by intent 0.1 "
        f"(a pickle, which runs code when loaded); same as {TRUST_MODEL_ENV_VAR}=1",
    )


def _add_language_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--languages",
        default="es",
        metavar="CODES",
        help="languages treated as supported, ISO 639-1, comma-separated (default: es); messages in others get "
        "status other_language and are flagged uncertain, with a label all the same",
    )
    p.add_argument("--no-language-id", action="store_true", help="skip language identification (faster)")


def _languages(args: argparse.Namespace) -> tuple[str, ...] | None:
    from intent.text.language import CANDIDATES

    if args.no_language_id:
        return None
    codes = tuple(c.strip().lower() for c in args.languages.split(",") if c.strip())
    unknown = [c for c in codes if c not in CANDIDATES]
    if not codes or unknown:
        raise DataError(
            f"--languages: unknown code(s) {unknown or [args.languages]}. Fix: use ISO 639-1 codes among "
            f"{', '.join(CANDIDATES)}, e.g. --languages es,ca"
        )
    return codes


def cmd_classify(args: argparse.Namespace) -> int:
    from intent.config import default_model_path
    from intent.io.batch import BatchOptions, classify_file

    output = None if args.output == "-" else Path(args.output)
    if not args.input:
        _sample_note("classify")
        args.input = [str(SAMPLE_EXPORT)]
    if args.engine == "dask":
        return _classify_dask(args, output)
    if args.scheduler:
        raise DataError("--scheduler needs --engine dask.")
    if args.format == "parquet":
        raise DataError("--format parquet is for --engine dask. Fix: use csv or jsonl, or add --engine dask.")
    fmt = args.format or ("jsonl" if output is not None and output.suffix in (".jsonl", ".json") else "csv")
    if args.excel and fmt != "csv":
        raise DataError("--excel applies to CSV output only. Fix: drop --excel or use --format csv.")
    if args.threshold is not None:
        _check_threshold(args.threshold)
    options = BatchOptions(
        text_column=args.text_column,
        on_bad_lines=args.on_bad_lines,
        fmt=fmt,
        excel=args.excel,
        jobs=args.jobs,
        chunk_size=args.chunk_size,
        threshold=args.threshold,
        languages=_languages(args),
        progress=not args.quiet and sys.stderr.isatty(),
        owner=args.owner,
    )
    model_path = args.model if args.model is not None else default_model_path()
    summary = classify_file(
        list(args.input), output, model_path, options, force=args.force, conversations=args.conversations
    )
    if not args.quiet:
        print(summary.format(str(output) if output else "stdout"), file=sys.stderr)
        people = summary.format_people()  # names: printed for the user, never logged
        if people:
            print(people, file=sys.stderr)
    return 0


def _add_evaluate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _subparser(
        sub,
        "evaluate",
        help="score a model on labeled messages and write a report",
        description=(
            "Evaluate a model on labeled messages, read like `intent classify` reads its input (a text and a label "
            "column; region/form/register/phenomenon columns, when present, give slice metrics). With no DATA, "
            "scores the shipped test set and the challenge set's test split (hard cases written apart) side by "
            "side. Writes metrics.json, report.md, confusion_matrix.png and reliability.png to "
            "REPORTS_DIR/NAME/ (./reports/NAME/ by default): per-label precision, recall and F1, macro-F1, "
            "accuracy, confusion matrix, calibration (Brier score, expected calibration error, reliability "
            "diagram), what the uncertain flag catches, slices, robustness to stripped accents and lowercase, "
            "and the 20 most confident errors."
        ),
    )
    p.add_argument(
        "data",
        type=Path,
        nargs="?",
        metavar="DATA",
        help="labeled CSV, folder of CSVs or saved dataset (default: the shipped test set and the test split "
        "of the challenge set)",
    )
    p.add_argument(
        "--split",
        metavar="NAME",
        help="only the rows whose 'split' column is NAME (e.g. dev, test); for a saved DatasetDict, its split NAME",
    )
    _add_model_arguments(p)
    _add_columns(p, labels=True)
    _add_bad_lines(p)
    _add_reports_dir(p, "--output-dir")
    p.add_argument(
        "--name", metavar="NAME", help="report folder's name (default: the data file's name; test, challenge-test)"
    )
    p.add_argument("--threshold", type=float, metavar="P", help="uncertainty threshold (default: the model's)")
    _add_force(p, "the report folder")
    _add_quiet(p, "no notes on stderr (the scores are still printed)")
    p.set_defaults(handler=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from intent.learn.data import is_dataset_dict, load_labeled, select_split
    from intent.report.evaluation import evaluate_dataset, percent
    from intent.report.files import write_report

    model = _model(args)
    if args.data is not None:
        stem = args.data.stem if str(args.data) != "-" else "stdin"
        sets = [(args.data, args.split, args.name or stem + (f"-{args.split}" if args.split else ""), True)]
    else:
        test = _shipped(TEST_CSV, "test set", "name the labeled file to evaluate: intent evaluate DATA.")
        sets = [(test, args.split, args.name or "test", False)]
        if CHALLENGE_CSV.exists() and args.name is None:
            sets.append((CHALLENGE_CSV, args.split or "test", f"challenge-{args.split or 'test'}", False))
    for _, _, name, _ in sets:
        folder = args.reports_dir / name
        if folder.exists() and not args.force:
            raise DataError(
                f"{folder} already exists. Fix: pass --force to replace it, or choose another --name or --reports-dir."
            )
    _images_note(args)
    for i, (path, split, name, yours) in enumerate(sets):
        columns = {"text_column": args.text_column, "label_column": args.label_column} if yours else {}
        notes: list[str] = []
        named_splits = is_dataset_dict(path)  # a saved DatasetDict: --split names one of its splits
        if named_splits:
            columns["split"] = split or "train"
        ds = load_labeled(path, on_bad_lines=args.on_bad_lines, notes=notes, **columns)
        for note in notes:
            print(f"intent: note: {note}", file=sys.stderr)
        if split and not named_splits:
            ds = select_split(ds, split, path)
        result = evaluate_dataset(model, ds)
        report = write_report(
            result, args.reports_dir / name, Path(path).name, str(model.metadata.get("name", "model"))
        )
        print(
            ("\n" if i else "") + f"{name}: macro-F1 {result['macro_f1']:.3f}  accuracy {result['accuracy']:.3f}  "
            f"(n={result['n']})"
        )
        for label in LABELS:
            m = result["per_label"][label]
            print(f"  {label:<24} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  n {m['support']}")
        cal, ab = result["calibration"], result["abstention"]
        print(f"  Brier {cal['brier']:.4f}  ECE {cal['ece']:.4f}")
        print(
            f"  uncertain below {ab['threshold']:.3f}: confident predictions {percent(ab['precision_confident'])} "
            f"precise on {percent(ab['coverage'])} of messages; {ab['errors']} errors, "
            f"{percent(ab['errors_flagged'], 0)} of them flagged"
        )
        worst = sorted(result["slices"].get("phenomenon", {}).items(), key=lambda kv: kv[1]["accuracy"])[:8]
        if worst:
            print("  hardest phenomena: " + ", ".join(f"{k} {m['accuracy']:.0%} of {m['n']}" for k, m in worst))
        print(f"  report: {report}")
    return 0


def _add_explain(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _subparser(
        sub,
        "explain",
        help="show which words decided a message's label",
        description=(
            "Explain a label: the features that pushed the message towards it most (lemmas, and words for the "
            "character n-grams they contain), with their weights, and which placeholders fired (URL, MONEY…)."
        ),
    )
    p.add_argument("text", help="the message")
    _add_model_arguments(p)
    p.add_argument("--top", type=int, default=10, metavar="N", help="features to show (default: 10)")
    p.add_argument("--all-labels", action="store_true", help="explain every label, not only the predicted one")
    p.add_argument("--json", action="store_true", help="JSON output")
    _add_quiet(p, "accepted like everywhere (explain prints only its result)")
    p.set_defaults(handler=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    from intent.api import explain
    from intent.report.explain import format_explanation

    try:
        exp = explain(args.text, model=args.model, top=args.top, all_labels=args.all_labels)
    except ValueError as exc:
        raise DataError(str(exc)) from exc
    print(json.dumps(exp.to_dict(), ensure_ascii=False, indent=2) if args.json else format_explanation(exp))
    return 0


def _add_review(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _subparser(
        sub,
        "review",
        help="pick the messages the model is least sure about, for you to label",
        description=(
            "Read INPUT (like `intent classify`: a CSV, '-', a LinkedIn export) and write the N messages the model "
            "is least sure about — skipping near-copies, so each row is a different question — to a CSV with the "
            "model's guess pre-filled in the 'label' column. Correct the labels in a spreadsheet, then train on "
            "the file: intent train --data TO_LABEL.csv"
        ),
    )
    p.add_argument(
        "input",
        nargs="?",
        metavar="INPUT",
        help="CSV file, '-', LinkedIn export .zip or folder (default: a sample export)",
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("to_label.csv"),
        metavar="TO_LABEL.csv",
        help="where to write the rows to label (default: ./to_label.csv, in the current folder)",
    )
    p.add_argument("-n", "--n", type=int, default=200, metavar="N", help="how many messages (default: 200)")
    _add_columns(p, labels=False)
    _add_bad_lines(p)
    _add_model_arguments(p)
    _add_force(p, "the output")
    _add_quiet(p, "no summary on stderr")
    p.set_defaults(handler=cmd_review)


def cmd_review(args: argparse.Namespace) -> int:
    from intent.config import default_model_path
    from intent.learn.review import review_file

    if args.input is None:
        _sample_note("review")
        args.input = str(SAMPLE_EXPORT)
    model_path = args.model if args.model is not None else default_model_path()
    written = review_file(
        args.input, args.output, model_path, args.n, args.text_column, args.force, on_bad_lines=args.on_bad_lines
    )
    if not args.quiet:
        print(
            f"intent: wrote {written} messages to label to {args.output}; correct the 'label' column, then run: "
            f"intent train --data {args.output}",
            file=sys.stderr,
        )
    return 0


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from intent.config import (
        PERSONAL_DIR_NAME,
        SERVE_HOST,
        SERVE_JOB_MAX_MEMORY_MB,
        SERVE_MAX_CHARS,
        SERVE_MAX_TEXTS,
        SERVE_MAX_UPLOAD_MB,
        SERVE_PORT,
    )

    p = _subparser(
        sub,
        "serve",
        help="open a local web page to triage your LinkedIn export, with a JSON API beside it",
        description=(
            "Start a web page on this machine: drop LinkedIn's export .zip (or messages.csv, Invitations.csv, any "
            "CSV), see every message labeled, filter, search, see why each got its label, correct the labels it "
            "got wrong and train a personal model from them, and download the labeled CSV. The same server "
            "answers a JSON API (schema at /api/openapi.json): POST /api/classify, "
            "POST /api/explain, POST /api/classify-file, GET /api/health. It listens on 127.0.0.1 only, so "
            "nothing is reachable from other machines and no message leaves this one."
        ),
        epilog=(
            "examples:\n"
            "  intent serve                      then open http://127.0.0.1:8000\n"
            "  intent serve --open --port 8080\n"
            "  curl -s localhost:8000/api/classify -H 'Content-Type: application/json' \\\n"
            '       -d \'{"texts": ["¿Tienes 15 minutos para una demo?"]}\'\n'
            "  curl -s localhost:8000/api/classify-file -F file=@messages.csv -F format=excel -o etiquetados.csv\n\n"
            "Needs the web extra: pip install 'intent[web]'."
        ),
    )
    p.add_argument(
        "--host", default=SERVE_HOST, help=f"address to listen on (default: {SERVE_HOST}, this machine only)"
    )
    p.add_argument("--port", type=int, default=SERVE_PORT, help=f"port (default: {SERVE_PORT})")
    _add_model_arguments(p)
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=SERVE_MAX_UPLOAD_MB,
        metavar="MB",
        help=f"largest upload accepted; larger ones get HTTP 413 (default: {SERVE_MAX_UPLOAD_MB:.0f})",
    )
    p.add_argument(
        "--max-texts",
        type=int,
        default=SERVE_MAX_TEXTS,
        metavar="N",
        help=f"most texts in one POST /api/classify; more get HTTP 413 (default: {SERVE_MAX_TEXTS})",
    )
    p.add_argument(
        "--max-chars",
        type=int,
        default=SERVE_MAX_CHARS,
        metavar="N",
        help=f"most characters of text in one POST /api/classify or /api/explain, all texts together; more get "
        f"HTTP 413 (default: {SERVE_MAX_CHARS:,})",
    )
    p.add_argument(
        "--max-job-memory-mb",
        type=float,
        default=SERVE_JOB_MAX_MEMORY_MB,
        metavar="MB",
        help="memory one process classifying an uploaded file may use; over it the file fails with a clear error "
        f"(default: {SERVE_JOB_MAX_MEMORY_MB})",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="worker processes per uploaded file, and folds fitted at once when training a personal model (default: 1)",
    )
    p.add_argument(
        "--personal-dir",
        type=Path,
        metavar="DIR",
        help=f"where personal models trained on the page are saved (default: ./{PERSONAL_DIR_NAME}, "
        "in the folder serve is started from)",
    )
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    _add_quiet(p, "log only warnings and errors (no line per request)")
    p.set_defaults(handler=cmd_serve, stopped="stopped")


def cmd_serve(args: argparse.Namespace) -> int:
    from intent.extras import require

    for module in ("fastapi", "uvicorn", "python_multipart"):
        require(module, "web")
    from intent.web.server import serve

    return serve(
        host=args.host,
        port=args.port,
        model_path=args.model,
        max_upload_mb=args.max_upload_mb,
        max_texts=args.max_texts,
        jobs=args.jobs,
        open_browser=args.open,
        quiet=args.quiet,
        max_chars=args.max_chars,
        max_job_memory_mb=args.max_job_memory_mb,
        personal_dir=args.personal_dir,
    )


def _model(args: argparse.Namespace) -> Any:
    """The model named by --model (default: the shipped one), with --threshold applied if given."""
    from intent.api import load_model

    if args.threshold is not None:
        _check_threshold(args.threshold)
    return load_model(args.model).with_threshold(args.threshold)


def _check_threshold(value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise DataError(f"--threshold must be between 0 and 1, got {value}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intent",
        description="What does the sender of a Spanish LinkedIn message want?",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"intent {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    _add_classify(sub)
    _add_predict(sub)
    _add_explain(sub)
    _add_evaluate(sub)
    _add_review(sub)
    _add_train(sub)
    _add_serve(sub)
    return parser


#: Exit statuses: done, a user error, Ctrl-C (128 + SIGINT), SIGTERM (128 + SIGTERM).
EXIT_OK, EXIT_USER_ERROR, EXIT_SIGINT, EXIT_SIGTERM = 0, 2, 130, 143


def run_handler(args: argparse.Namespace) -> int:
    """Run a parsed command; user errors become one line on stderr and exit status 2."""
    signal.signal(signal.SIGTERM, _raise_terminated)  # clean up like Ctrl-C: no half-written output
    if getattr(args, "trust_model", False):
        os.environ[TRUST_MODEL_ENV_VAR] = "1"  # in the environment, so worker processes trust it too
    try:
        return int(args.handler(args))
    except IntentError as exc:
        print(f"intent: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt as exc:
        print(f"intent: {getattr(args, 'stopped', 'interrupted; no output was left behind')}", file=sys.stderr)
        return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT
    except BrokenPipeError:  # e.g. `intent classify ... | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # the machine said no: a full disk, a permission, a missing folder
        where = f": {exc.filename}" if exc.filename else ""
        print(
            f"intent: error: {exc.strerror or exc}{where}. Fix: check the path, its permissions and the free "
            "disk space; no partial output was left behind.",
            file=sys.stderr,
        )
        return EXIT_USER_ERROR


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said with the subcommand's usage, not the top-level one
        getattr(args, "subparser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    return run_handler(args)


if __name__ == "__main__":
    sys.exit(main())
