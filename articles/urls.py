from django.urls import path

from . import feeds, views

app_name = "articles"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("feed/", feeds.LatestArticlesFeed(), name="feed"),
    path("topic/<slug:topic_slug>/", views.article_list, name="topic"),
    path("<slug:slug>/", views.article_detail, name="detail"),
]
