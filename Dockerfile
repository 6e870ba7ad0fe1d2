# mailflow in a container: non-root, slim, configuration and state mounted from outside.
#   docker build -t mailflow .
#   docker run -v /etc/mailflow:/etc/mailflow:ro -v mailflow-data:/var/lib/mailflow mailflow
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/mailflow --shell /usr/sbin/nologin mailflow \
    && mkdir -p /var/lib/mailflow /etc/mailflow \
    && chown mailflow:mailflow /var/lib/mailflow && chmod 0700 /var/lib/mailflow
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER mailflow
WORKDIR /var/lib/mailflow
ENV MAILFLOW_CONFIG=/etc/mailflow/mailflow.toml PYTHONUNBUFFERED=1
VOLUME ["/var/lib/mailflow"]
# The daemon migrates the database on start; SIGTERM stops it cleanly.
STOPSIGNAL SIGTERM
ENTRYPOINT ["mailflow"]
CMD ["run", "--config", "/etc/mailflow/mailflow.toml"]
