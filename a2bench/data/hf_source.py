"""Suite files from a Hugging Face dataset repository at a pinned revision, checked against the manifest's sha256.

huggingface_hub does the transfer and caching and reads HF_ENDPOINT, HF_HOME/HF_HUB_CACHE and HF_HUB_OFFLINE itself;
a2bench only pins the revision, copies the cached file into its `.part` file while hashing, and refuses a mismatch.
"""

from __future__ import annotations

from pathlib import Path

from a2bench.data.download import Transfer, copy_hashed
from a2bench.data.manifest import Source
from a2bench.errors import DataError


def hf_file(repo_id: str, filename: str, revision: str, final: Path, force: bool = False) -> Path:
    """The cached path of `filename` in dataset `repo_id` at `revision`; DataError saying why it cannot be had."""
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.utils import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"{repo_id}@{revision}:{filename}"
    try:
        return Path(hf_hub_download(repo_id, filename, repo_type="dataset", revision=revision,
                                    force_download=force))
    except LocalEntryNotFoundError:
        if constants.HF_HUB_OFFLINE:
            raise DataError(f"{where} is not in the Hugging Face cache and HF_HUB_OFFLINE is set", path=final,
                            fix="unset HF_HUB_OFFLINE to download it, or fill the cache on a connected machine"
                            ) from None
        raise DataError(f"cannot reach the Hugging Face Hub for {where}", path=final,
                        fix="check your connection (and HF_ENDPOINT if you use a mirror), then rerun") from None
    except EntryNotFoundError:
        raise DataError(f"{where} does not exist", path=final,
                        fix="the manifest's revision or path is wrong; report it") from None
    except RevisionNotFoundError:
        raise DataError(f"revision {revision} of dataset {repo_id} does not exist", path=final,
                        fix="the manifest's revision is wrong; report it") from None
    except RepositoryNotFoundError:
        raise DataError(f"dataset {repo_id} not found or not accessible", path=final,
                        fix="accept its terms on the Hub and log in with `hf auth login`, or check HF_ENDPOINT"
                        ) from None
    except HfHubHTTPError as exc:
        raise DataError(f"Hugging Face Hub error for {where} ({exc})".replace("\n", " "), path=final,
                        fix="retry later") from None
    except Exception as exc:  # transport errors differ between huggingface_hub versions (requests, httpx)
        raise DataError(f"download of {where} failed ({type(exc).__name__}: {exc})", path=final,
                        fix="check your connection and rerun") from None


class HfFetcher:
    """Fetches a suite's files from the Hugging Face dataset repository named by a `huggingface` source."""

    def __init__(self, source: Source):
        if not source.revision:
            raise DataError(f"the Hugging Face source {source.location!r} pins no revision",
                            fix="set the source's revision to a commit hash in the manifest")
        self.repo_id = source.location
        self.revision = source.revision

    def __call__(self, job: Transfer) -> None:
        cached = hf_file(self.repo_id, job.entry.path, self.revision, job.final)
        if copy_hashed(cached, job.part) == job.entry.sha256:
            return
        from huggingface_hub import constants

        if not constants.HF_HUB_OFFLINE:
            cached = hf_file(self.repo_id, job.entry.path, self.revision, job.final, force=True)
            if copy_hashed(cached, job.part) == job.entry.sha256:
                return
        job.part.unlink()
        raise DataError(f"{self.repo_id}@{self.revision}:{job.entry.path} does not match the manifest's sha256",
                        path=job.final, fix="the repository's file differs from the pinned one; report it")
