async def test_help_page_explains_the_rules_with_the_values_in_force(client):
    response = await client.get("/help")
    assert response.status_code == 200
    text = response.text
    assert "Ketepatan waktu" in text and "mengurangi 5 poin" in text
    assert "Persyaratan" in text and "Sarana dan Prasarana" in text
    assert "75,00" in text and "384 responden" in text
    assert "Sangat Kurang" in text and "Butuh Perbaikan" in text
    assert "Butuh Perbaikan paling sedikit 60%" in text
    assert "%%" not in text and "%(" not in text
