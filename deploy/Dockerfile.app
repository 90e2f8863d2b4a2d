# Jobrunner next to the application's code: an image FROM the application's own image, with the
# jobrunner binary added. Scripts then import the application's modules and installed packages,
# and run with its runtime and release (JOBRUNNER_APP_DIR, docs/scripts.md). Build the Jobrunner
# image first, then, from the repository root:
#   docker build -f deploy/Dockerfile -t jobrunner .
#   docker build -f deploy/Dockerfile.app --build-arg APP_IMAGE=registry.example.com/acme/app:2026.11.29 \
#     -t registry.example.com/acme/app-jobrunner:2026.11.29 .
# Rebuild it with every release of the application (the same CI job that builds the app image),
# so the scripts' release is the one that serves traffic — the deploy gate checks that too.
ARG SERVICE_IMAGE=jobrunner
ARG APP_IMAGE
FROM ${SERVICE_IMAGE} AS jobrunner

FROM ${APP_IMAGE}
# What jobrunner itself needs at run time, when the application image lacks it (Debian-based
# images; adapt for others). node/python come from the application image.
USER root
RUN if command -v apt-get >/dev/null; then \
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        ca-certificates git libgit2-1.5 libsqlite3-0 libcurl4 zlib1g esbuild tini \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && (id jobrunner >/dev/null 2>&1 || useradd --system --uid 10001 --home-dir /var/lib/jobrunner --shell /usr/sbin/nologin jobrunner) \
 && install -d -o jobrunner -g jobrunner -m 0750 /var/lib/jobrunner
COPY --from=jobrunner /usr/local/bin/jobrunner /usr/local/bin/jobrunner
COPY --from=jobrunner /usr/local/bin/jobrunner_JobrunnerServer.resources /usr/local/bin/jobrunner_JobrunnerServer.resources
USER jobrunner
# The application's code lives where its image put it (here /app); scripts run there.
ENV JOBRUNNER_DATA_DIR=/var/lib/jobrunner \
    JOBRUNNER_HTTP_HOST=0.0.0.0 \
    JOBRUNNER_HTTP_PORT=8080 \
    JOBRUNNER_LOG_FORMAT=json \
    JOBRUNNER_APP_DIR=/app
VOLUME ["/var/lib/jobrunner"]
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/jobrunner"]
CMD ["serve"]
