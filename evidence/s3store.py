"""Evidence in an S3-compatible bucket (MinIO, Ceph, a cloud's object store), through boto3.

The same :class:`evidence.store.Store` as the disk: keys under an optional
prefix, ``put`` is one ``PutObject`` (atomic by the protocol: a reader sees
all bytes or none, so no partial files exist), ``freshen`` copies an object
onto itself to renew its modification time (collection goes by it), and
``discard_stale`` deletes only an object not renewed since ``before``.
Photos never pass through the database; they pass through the app when
served (``url`` answers ``None``), so the pages' Content-Security-Policy
needs no second image origin.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from evidence.store import StoredFile

_KEY = re.compile(r"(original|thumb|screen)/([0-9a-f]{64})(\.jpg)?")


class S3Store:
    """Evidence in ``bucket`` (under ``prefix``) at ``endpoint_url``; credentials as boto3 finds them
    (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an instance role)."""

    def __init__(self, *, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, client: Any = None) -> None:
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None,
                                  config=Config(retries={"max_attempts": 5, "mode": "standard"},
                                                max_pool_connections=40))
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _name(self, key: str) -> str:
        return self.prefix + key

    def _missing(self, error: Exception) -> bool:
        code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data)

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if self._missing(error):
                raise KeyError(key) from None
            raise
        with answer["Body"] as body:
            return io.BytesIO(body.read())

    def url(self, key: str) -> str | None:
        return None

    def _head(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if self._missing(error):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def freshen(self, key: str) -> bool:
        if self._head(key) is None:
            return False
        name = self._name(key)
        self.client.copy_object(Bucket=self.bucket, Key=name, CopySource={"Bucket": self.bucket, "Key": name},
                                MetadataDirective="REPLACE")
        return True

    def files(self) -> Iterator[StoredFile]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix):]
                match = _KEY.fullmatch(key)
                yield StoredFile(key=key, sha256=match.group(2) if match else None, modified=item["LastModified"],
                                 size=item["Size"])

    def discard_stale(self, key: str, *, before: datetime) -> bool:
        head = self._head(key)
        if head is None or head["LastModified"] >= before:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        return True
