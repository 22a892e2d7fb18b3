from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from core.cache import watch

        # Every change to an article, its FAQs or topics retires what public pages cached.
        watch(self)
