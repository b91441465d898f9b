# thinkcap: the ext_proc server (and, for the CPU-only compose profile, the backend emulator).
FROM node:26-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY devkit ./devkit
COPY test ./test
COPY benchmarks ./benchmarks
COPY scripts ./scripts
COPY protos ./protos
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:26-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY protos ./protos
COPY assets ./assets
USER node
EXPOSE 50051 9100
HEALTHCHECK --interval=10s --timeout=2s CMD node -e "fetch('http://127.0.0.1:9100/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve", "--config", "/etc/thinkcap/thinkcap.yaml"]
