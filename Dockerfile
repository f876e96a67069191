# syntax=docker/dockerfile:1
# ModemKit: `modem emulate` in a container (docs/fleet.md).
#
#   docker build -t modemkit .
#   docker run --rm -p 7000-7099:7000-7099 -p 8080:8080 modemkit
#
# The default command runs 100 modems on ports 7000-7099 and the live view, HTTP API and /metrics
# on 8080. Bound beyond loopback, the HTTP server needs a token: without --http-token it generates
# one and prints it in the URL on stdout (`docker logs`). To choose it, pass the whole command:
#
#   docker run --rm -e MODEM_HTTP_TOKEN=s3cret -p 7000-7099:7000-7099 -p 8080:8080 modemkit \
#       --listen 0.0.0.0:7000 --count 100 --http 0.0.0.0:8080 --http-token s3cret
#
# (`modem` reads no environment variable for the token; Kubernetes expands $(MODEM_HTTP_TOKEN) in
# `args`, see deploy/kubernetes/statefulset.yaml.) `--listen 0.0.0.0:…` logs a warning: expected here.
#
# The build and run stages are the same Debian release (bookworm), so the binary finds the glibc it
# was linked against. The Swift runtime is linked in statically: the run stage has no Swift.

ARG SWIFT_VERSION=6.3

FROM swift:${SWIFT_VERSION}-bookworm AS build
WORKDIR /src
# Dependencies first, so that a change to Sources/ does not fetch them again.
COPY Package.* ./
RUN swift package resolve
COPY . .
RUN swift build -c release --static-swift-stdlib --product modem \
    && mkdir /staging \
    && cp "$(swift build -c release --show-bin-path)/modem" /staging/ \
    && cp -R "$(swift build -c release --show-bin-path)/ModemKit_ModemHTTP.resources" /staging/

FROM debian:bookworm-slim
# The live view's files (ModemKit_ModemHTTP.resources) must stay next to the binary.
COPY --from=build /staging/ /usr/local/bin/
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin modem
USER 10001:10001
WORKDIR /tmp
# Serial lines (raw TCP, like ser2net): modem i on 7000+i; the default command uses 7000-7099.
EXPOSE 7000-7099
# The live view, HTTP JSON API and Prometheus /metrics.
EXPOSE 8080
# No HEALTHCHECK: the image has no curl, /metrics needs the token beyond loopback, and a probe of a
# serial port would take that modem's line. Kubernetes probes the HTTP port with tcpSocket instead.
ENTRYPOINT ["modem", "emulate"]
CMD ["--listen", "0.0.0.0:7000", "--count", "100", "--http", "0.0.0.0:8080", "--log-format", "json"]
