FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY web ./web
RUN pip install --no-cache-dir .
ENV PANTAU_DATABASE_URL=sqlite:////data/pantau.db
EXPOSE 8000
CMD ["pantau", "serve", "--host", "0.0.0.0", "--port", "8000"]
