"""The core: text, headings, answer types, HTTP, the OpenAI chat client, progress."""
