<!DOCTYPE html>
<html>
<head><title>Log in</title></head>
<body>
<h1>Log in</h1>
@error('email')<div class="invalid-feedback">{{ $message }}</div>@enderror
<form method="POST" action="/login">
    @csrf
    <label>Email <input type="email" name="email" value="{{ old('email') }}" required></label>
    <label>Password <input type="password" name="password" required></label>
    <button type="submit">Log in</button>
</form>
</body>
</html>
