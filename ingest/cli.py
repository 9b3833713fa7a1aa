"""``aqi-ingest``: the command line of the ingest job.

Every option that takes a value has an AQI_* environment variable (the systemd
unit's EnvironmentFile sets them); the command line wins.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from ingest import __version__, model
from ingest.archive.listing import DEFAULT_ARCHIVE_URL
from ingest.sinks import Sink, SinkError, open_sink
from ingest.sources import DEFAULT_BASE_URL, open_source

log = logging.getLogger("aqi-ingest")

EXIT_CONFIG = 2
EXIT_UNREACHABLE = 3
MIN_INTERVAL = 10.0
#: Signals that end the loop once the cycle in flight is done: systemd's stop and Ctrl-C.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

OPTIONS: tuple[tuple[str, str, str, str], ...] = (
    # (option, environment variable, default, help)
    (
        "--source",
        "AQI_SOURCE",
        DEFAULT_BASE_URL,
        "feed base URL, a saved feed file or a folder of them",
    ),
    ("--feeds", "AQI_FEEDS", "5m,24h", "windows to ingest: 5m (data.json), 24h (data.24h.json)"),
    (
        "--sink",
        "AQI_SINK",
        "sqlite:///data/air_quality.db",
        "store URL (sqlite://, influxdb(s)://, timestream://)",
    ),
    ("--state-dir", "AQI_STATE_DIR", "state", "folder of the watermarks, spool and quarantine"),
    ("--interval", "AQI_INTERVAL", "60", "seconds between cycle starts"),
    ("--master", "AQI_SPARK_MASTER", "local[*]", "Spark master URL"),
    ("--driver-memory", "AQI_SPARK_DRIVER_MEMORY", "1g", "Spark driver memory"),
    (
        "--humidity-kappa",
        "AQI_HUMIDITY_KAPPA",
        "off",
        "write humidity-corrected PM columns with this hygroscopicity kappa (e.g. 0.4)",
    ),
)


SHARED_OPTIONS = {option[0]: option for option in OPTIONS}

#: Options of ``aqi-ingest backfill`` (same layout as OPTIONS). A default of None
#: means the option is required.
BACKFILL_OPTIONS: tuple[tuple[str, str, str | None, str], ...] = (
    (
        "--source",
        "AQI_ARCHIVE_SOURCE",
        DEFAULT_ARCHIVE_URL,
        "archive base URL, a folder of archive CSVs or an s3:// mirror",
    ),
    ("--from", "AQI_BACKFILL_FROM", None, "first UTC day, YYYY-MM-DD"),
    ("--to", "AQI_BACKFILL_TO", None, "last UTC day, YYYY-MM-DD (included)"),
    SHARED_OPTIONS["--sink"],
    (
        "--state-dir",
        "AQI_STATE_DIR",
        "state",
        "folder (or s3:// URL) of the manifest and quarantine",
    ),
    ("--types", "AQI_BACKFILL_TYPES", "", "sensor types to load, e.g. sds011,bme280 (default all)"),
    ("--country", "AQI_BACKFILL_COUNTRY", "", "only sensors of this country (ISO code, e.g. GB)"),
    ("--bbox", "AQI_BACKFILL_BBOX", "", "only readings in MIN_LON,MIN_LAT,MAX_LON,MAX_LAT"),
    (
        "--locations",
        "AQI_BACKFILL_LOCATIONS",
        "",
        "v2 feed (base URL or file) giving each sensor its country; default with --country: "
        "the live feeds",
    ),
    ("--batch-files", "AQI_BACKFILL_BATCH_FILES", "2000", "files per Spark batch (whole days)"),
    ("--downloads", "AQI_BACKFILL_DOWNLOADS", "8", "parallel downloads from the archive URL"),
    (
        "--staging-dir",
        "AQI_BACKFILL_STAGING_DIR",
        "",
        "where downloads wait (default STATE_DIR/staging)",
    ),
    SHARED_OPTIONS["--master"],
    SHARED_OPTIONS["--driver-memory"],
)


class ConfigError(Exception):
    """A bad option value."""


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="aqi-ingest", description=__doc__.splitlines()[0] if __doc__ else None
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="ingest in a loop (or once with --once)")
    for option, variable, default, text in OPTIONS:
        run.add_argument(
            option,
            default=os.environ.get(variable, default),
            help=f"{text} [{variable}, default {default}]",
        )
    run.add_argument("--once", action="store_true", help="run one cycle and exit")
    run.add_argument(
        "--summary", action="store_true", help="print what the feeds say after each cycle"
    )
    run.add_argument("--spark-ui", action="store_true", help="serve the Spark UI (off by default)")
    run.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    backfill = commands.add_parser(
        "backfill", help="load hourly and daily means with the daily DAQI from the archive"
    )
    for option, variable, required_or_default, text in BACKFILL_OPTIONS:
        shown = (
            "required"
            if required_or_default is None
            else f"default {required_or_default or '(none)'}"
        )
        backfill.add_argument(
            option,
            dest=option[2:].replace("-", "_"),
            default=os.environ.get(variable, required_or_default),
            help=f"{text} [{variable}, {shown}]",
        )
    backfill.add_argument(
        "--spark-ui", action="store_true", help="serve the Spark UI (off by default)"
    )
    backfill.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return root


def windows_of(text: str) -> list[str]:
    windows = [w.strip() for w in text.split(",") if w.strip()]
    unknown = [w for w in windows if w not in model.WINDOWS]
    if unknown or not windows:
        raise ConfigError(f"--feeds takes a list of {', '.join(model.WINDOWS)}, not {text!r}")
    return windows


def kappa_of(text: str) -> float | None:
    """The --humidity-kappa value: None for off, else a kappa in (0, MAX_KAPPA]."""
    if text.strip().lower() in ("", "off"):
        return None
    from ingest.humidity import MAX_KAPPA

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= MAX_KAPPA:
        raise ConfigError(
            f"--humidity-kappa must be off or a number in (0, {MAX_KAPPA:g}], not {text!r}"
        )
    return value


def interval_of(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"--interval must be a number of seconds, not {text!r}") from None
    if value < MIN_INTERVAL:
        raise ConfigError(
            f"--interval must be at least {MIN_INTERVAL:.0f} s (the feeds refresh every minute or so)"
        )
    return value


class StopFlag:
    """Set by SIGTERM or SIGINT: the cycle in flight finishes, then the loop ends."""

    def __init__(self) -> None:
        self.event = threading.Event()

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Handles :data:`STOP_SIGNALS` in the block, then puts the previous handlers back.

        Only the main thread can handle signals: in another thread nothing is
        installed and only :attr:`event` ends the loop.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {number: signal.signal(number, self._handle) for number in STOP_SIGNALS}
        try:
            yield
        finally:
            for number, handler in previous.items():
                if handler is not None:  # None: a handler set outside Python, cannot be restored
                    signal.signal(number, handler)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the cycle in flight", signal.Signals(signum).name)
        self.event.set()


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("py4j", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.command == "backfill":
        from ingest.archive.command import backfill

        return backfill(args)
    try:
        windows = windows_of(args.feeds)
        interval = interval_of(args.interval)
        kappa = kappa_of(args.humidity_kappa)
        sink = open_sink(args.sink)
    except (ConfigError, SinkError) as exc:
        print(f"aqi-ingest: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        sink.check()
    except SinkError as exc:
        print(f"aqi-ingest: error: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    stop = StopFlag()
    with stop.installed():
        return run(
            args, sink, windows, interval, Path(args.state_dir), stop=stop, humidity_kappa=kappa
        )


def run(
    args: argparse.Namespace,
    sink: Sink,
    windows: list[str],
    interval: float,
    state_dir: Path,
    *,
    stop: StopFlag,
    humidity_kappa: float | None = None,
) -> int:
    from pyspark.sql import SparkSession

    from ingest.cycle import Ingestor
    from ingest.spark import build_session

    owned = SparkSession.getActiveSession() is None
    try:
        spark = build_session(args.master, ui=args.spark_ui, driver_memory=args.driver_memory)
    except Exception as exc:  # no Java, bad master URL: one line, no traceback
        print(
            f"aqi-ingest: error: cannot start Spark ({args.master}): {str(exc).splitlines()[0]}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        # SparkContext sets its own SIGINT handler when it starts (cancel the jobs,
        # raise KeyboardInterrupt): the stop signals are taken back for the cycles.
        with stop.installed():
            source = open_source(args.source, windows, state_dir / "spool")
            try:
                ingestor = Ingestor(spark, source, sink, state_dir, humidity_kappa=humidity_kappa)
            except (SinkError, ValueError) as exc:
                print(f"aqi-ingest: error: {exc}", file=sys.stderr)
                return EXIT_UNREACHABLE if isinstance(exc, SinkError) else EXIT_CONFIG
            log.info(
                "ingesting %s from %s into %s", ",".join(windows), args.source, sink.display_url
            )
            while True:
                started = time.monotonic()
                report = ingestor.run_cycle(summary=args.summary)
                log.info("%s", report.log_line())
                if report.summary is not None:
                    print(report.summary.render(), flush=True)
                if args.once:
                    return 0 if report.ok and not report.fetch_errors else 1
                if stop.event.wait(max(0.0, interval - (time.monotonic() - started))):
                    log.info("stopped after %d cycles", ingestor.cycles)
                    return 0
    finally:
        sink.close()
        if owned:
            spark.stop()


if __name__ == "__main__":
    sys.exit(main())
