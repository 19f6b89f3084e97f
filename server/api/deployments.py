"""POST /deployments."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from server.api import api
from server.api.common import principal, writing
from server.errors import BadRequest
from server.services.deployments import UploadedFile, deploy_by


@api.post("/deployments")
def create_deployment() -> Any:
    who = principal()
    files = [UploadedFile(f.filename or "upload", f.read()) for f in request.files.getlist("file")]
    files += [UploadedFile(f.filename or name, f.read()) for name in request.files
              if name != "file" for f in request.files.getlist(name)]
    if not files:
        raise BadRequest("send the .bpmn/.dmn files as multipart/form-data (field 'file', repeatable)")
    with writing() as session:
        summary = deploy_by(session, who, files, current_app.config["BOMS"].allow_python_scripts)
    return summary, 201 if summary["changed"] else 200
