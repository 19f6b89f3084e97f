# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY server ./server
COPY admin ./admin
COPY bpmn ./bpmn
COPY dmn ./dmn
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4", "server.wsgi:app"]
