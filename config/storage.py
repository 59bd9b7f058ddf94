"""Where uploaded and generated files are kept: a local folder, or an S3-compatible bucket.

The local folder (MEDIA_ROOT) is the default and serves one machine. When web servers and
workers run on several machines, they share a bucket instead: MEDIA_S3_BUCKET (with, for a
store other than AWS, MEDIA_S3_ENDPOINT_URL) chooses it. Objects stay private: every file is
served by the application after its access checks, never by a public or signed link.
"""

from config.env import env_str


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    prefix: str = "",
    addressing_style: str | None = None,
) -> dict:
    """The STORAGES entry of an S3-compatible bucket (django-storages).

    Without keys, boto3 finds credentials as it usually does (AWS_* variables, an instance
    role).
    """
    options: dict = {
        "bucket_name": bucket,
        "location": prefix.strip("/"),
        # No ACL is sent: objects are as private as the bucket (keep public access blocked).
        "default_acl": None,
        # Two versions never share a name; a name taken gets a suffix rather than overwriting.
        "file_overwrite": False,
        # Should a URL ever be made, it is signed and short-lived.
        "querystring_auth": True,
        "querystring_expire": 300,
    }
    for name, value in (
        ("endpoint_url", endpoint_url),
        ("region_name", region),
        ("access_key", access_key),
        ("secret_key", secret_key),
        ("addressing_style", addressing_style),
    ):
        if value:
            options[name] = value
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def media_storage_from_env() -> dict:
    """The default storage the environment asks for: an S3 bucket or the local folder."""
    bucket = env_str("MEDIA_S3_BUCKET")
    if bucket is None:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return s3_storage(
        bucket=bucket,
        endpoint_url=env_str("MEDIA_S3_ENDPOINT_URL"),
        region=env_str("MEDIA_S3_REGION"),
        access_key=env_str("MEDIA_S3_ACCESS_KEY_ID"),
        secret_key=env_str("MEDIA_S3_SECRET_ACCESS_KEY"),
        prefix=env_str("MEDIA_S3_PREFIX", ""),
        addressing_style=env_str("MEDIA_S3_ADDRESSING_STYLE"),
    )
